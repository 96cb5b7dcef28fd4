import type { Matcher } from '../../match/matcher.js';
import { LIST_KINDS } from '../select.js';
import { renderStixBundle } from '../../sharing/stix-export.js';
import type { ListFormat } from './types.js';

/**
 * A STIX 2.1 bundle of list entries (the same objects the TAXII server shares). A firewall
 * list is not a sharing channel with a TLP ceiling per reader, so TLP:RED stays out and
 * everything up to AMBER+STRICT goes in; an empty `entries` gives an empty bundle.
 */
export function stixBundle(matcher: Matcher, entries: readonly number[]): string {
  return renderStixBundle(entries, matcher);
}

/** A STIX bundle per page; its units are entry numbers, handed to stixBundle. */
export const stixFormat: ListFormat = {
  contentType: 'application/stix+json;version=2.1',
  kinds: LIST_KINDS,
  pages: true,
  aggregateIps: false,
  withholdsWildcards: false,
  ipUnit: (cidr) => cidr,
  entryUnits: (_ctx, entry) => [String(entry.entry)],
  document: (ctx, page) => stixBundle(ctx.matcher, page.units.map(Number)),
};
