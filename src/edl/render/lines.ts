import { blocks } from '../aggregate.js';
import type { ListEntry } from '../lists.js';
import type { PageText, RenderContext } from './types.js';

/**
 * A domain as firewall lists write it: `name`, and `*.name` when the entry covers the names
 * below it, since PAN-OS and FortiGate match a plain name exactly. The wildcard is withheld
 * where an allowlisted name lies below: the list never blocks what `/v1/verdict` allows.
 */
export function domainLines(ctx: RenderContext, entry: ListEntry): string[] {
  if (entry.exactOnly || ctx.allowedBelow(entry.value)) return [entry.value];
  return [entry.value, `*.${entry.value}`];
}

/** A URL without its scheme (`host/path`), the form PAN-OS URL lists take; it then matches http and https. */
export function schemelessUrl(url: string): string {
  return url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
}

/** The lines of one entry in a one-value-a-line list (plain, fortigate). */
export function valueLines(ctx: RenderContext, entry: ListEntry): string[] {
  switch (entry.kind) {
    case 'domain':
      return domainLines(ctx, entry);
    case 'url':
      return [schemelessUrl(entry.value)];
    case 'ip':
      // Reached only by formats that do not aggregate; plain and fortigate do.
      return ctx.carve(entry.value).flatMap((p) => (p.whole ? [entry.value] : blocks(p)));
    default:
      return [entry.value];
  }
}

/**
 * A one-value-a-line body. Notes and the no-entries line are `#` comments: never an empty
 * body, since firewalls read an empty download as a failure or, worse, as "remove all".
 */
export function lineDocument(page: PageText, comment = '#'): string {
  const lines = [
    ...(page.units.length === 0 ? [`${comment} ${page.title}: no entries`] : []),
    ...page.notes.map((n) => `${comment} ${n}`),
    ...page.preamble,
    ...page.units,
  ];
  return `${lines.join('\n')}\n`;
}
