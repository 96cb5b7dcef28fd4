import { blocks } from '../aggregate.js';
import { entryTags } from '../lists.js';
import { LIST_KINDS } from '../select.js';
import type { ListFormat } from './types.js';

const HEADER = 'value,type,score,feeds,tags';

/**
 * CSV for SIEMs and spreadsheets: one row per entry (per carved part of an allowlist-cut
 * network), with its score, the feeds that list it and its tags, each joined by `;`. Values
 * are the canonical indicators (URLs keep their scheme). No comment rows: CSV has none, so a
 * list with no entries is the header alone, and a cut shows in the log and X-Sluice-Cut.
 */
export const csvFormat: ListFormat = {
  contentType: 'text/csv; charset=utf-8',
  kinds: LIST_KINDS,
  pages: true,
  aggregateIps: false,
  withholdsWildcards: false,
  ipUnit: (cidr) => cidr,
  entryUnits(ctx, entry) {
    const feeds = ctx.matcher.entryFeeds(entry.entry).join(';');
    const tags = entryTags(ctx.matcher, entry.entry).join(';');
    const type = ctx.matcher.entryType(entry.entry);
    const values =
      entry.kind === 'ip' ? ctx.carve(entry.value).flatMap((p) => (p.whole ? [entry.value] : blocks(p))) : [entry.value];
    return values.map((value) => {
      const rowType = entry.kind !== 'ip' ? type : value.includes('/') ? 'cidr' : value.includes(':') ? 'ipv6' : 'ipv4';
      return [value, rowType, String(entry.score), feeds, tags].map(csvField).join(',');
    });
  },
  document: (_ctx, page) => `${[HEADER, ...page.units].join('\n')}\n`,
};

/** RFC 4180 quoting: a field with a comma, quote or line break is quoted, quotes doubled. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
