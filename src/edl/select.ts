import type { IndicatorType } from '../indicators/types.js';
import type { Matcher } from '../match/matcher.js';
import { ipListLines } from './ip-lines.js';
import { normalizeUrl, parseAddress } from '../indicators/normalize/index.js';

/** The lists firewalls pull: addresses and networks, domain names, URLs, file hashes. */
export const LIST_KINDS = ['ip', 'domain', 'url', 'hash'] as const;
export type ListKind = (typeof LIST_KINDS)[number];

const TYPES_OF: Record<ListKind, readonly IndicatorType[]> = {
  ip: ['ipv4', 'ipv6', 'cidr'],
  domain: ['domain'],
  url: ['url'],
  hash: ['md5', 'sha1', 'sha256'],
};

export interface ListFilter {
  kind: ListKind;
  /** Entries scoring below this are left out; defaults to the policy's block_at. */
  minScore?: number;
  /** Only entries listed by this feed. */
  feed?: string;
}

/**
 * The entries of a list: enforceable (not allowlisted, at or above the minimum score), of the
 * list's types, in a stable order (by type, then text) so two pulls of one version are equal.
 */
export function selectEntries(matcher: Matcher, filter: ListFilter): number[] {
  const meta = matcher.set.meta;
  const minScore = filter.minScore ?? meta.policy.block_at;
  const types = new Set(TYPES_OF[filter.kind]);
  const feedIndex = filter.feed === undefined ? -1 : meta.names.indexOf(filter.feed);
  if (filter.feed !== undefined && feedIndex < 0) return [];

  const out: number[] = [];
  for (let e = 0; e < meta.entries; e++) {
    if (!types.has(matcher.entryType(e)) || matcher.entryAllowed(e) || matcher.entryHeld(e)) continue;
    // A firewall list is enforcement: entries only monitor-mode feeds vouch for stay out.
    if (matcher.entryMonitorOnly(e)) continue;
    if (matcher.entryScore(e) < minScore || matcher.entryFeeds(e).length === 0) continue;
    if (feedIndex >= 0 && !meta.feedSets[matcher.set.feedSets[e]!]!.includes(feedIndex)) continue;
    if (coveredByAllow(matcher, e)) continue;
    out.push(e);
  }
  const values = new Map(out.map((e) => [e, matcher.entryValue(e)]));
  return out.sort((a, b) => {
    const ta = matcher.set.types[a]! - matcher.set.types[b]!;
    if (ta !== 0) return ta;
    const va = values.get(a)!;
    const vb = values.get(b)!;
    return va < vb ? -1 : va > vb ? 1 : 0;
  });
}

/**
 * Whether an allow entry elsewhere decides this entry's own value: an allowlisted parent of a
 * listed name, or an allowlisted host of a listed URL. Such entries never go in a list, since
 * the firewall would then block what the verdict endpoint allows. (Addresses inside allowed
 * networks are carved out of IP lists instead.)
 */
function coveredByAllow(matcher: Matcher, entry: number): boolean {
  const type = matcher.entryType(entry);
  const value = matcher.entryValue(entry);
  if (type === 'domain') return matcher.lookupDomain(value)?.allowed === true;
  if (type !== 'url') return false;
  const url = normalizeUrl(value, { query: true });
  return matcher.lookupUrl(url, parseAddress(url.host))?.allowed === true;
}

/** The lines of a list: entry values, with allowlisted addresses carved out of IP networks. */
export function listLines(matcher: Matcher, filter: ListFilter): string[] {
  const entries = selectEntries(matcher, filter);
  return filter.kind === 'ip' ? ipListLines(matcher, entries) : entries.map((e) => matcher.entryValue(e));
}
