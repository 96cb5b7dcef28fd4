import type { ParsedConfig } from '../config/schema.js';
import { FLAG_EXACT_ONLY } from '../match/compiled-set.js';
import type { Matcher } from '../match/matcher.js';
import { LIST_KINDS, selectEntries, type ListKind } from './select.js';

/** One named list of the config's `edl:` key. */
export type EdlListConfig = ParsedConfig['edl'][number];
export type EdlFormat = EdlListConfig['format'];

/** An entry chosen for a named list, with what the renderers need of it. */
export interface ListEntry {
  entry: number;
  kind: ListKind;
  value: string;
  score: number;
  /** RPZ-style entries that block the name itself, not the names below it. */
  exactOnly: boolean;
}

/**
 * The entries of a named list: enforceable entries of its types (and of the kinds its format
 * can carry), at or above its minimum score, listed by one of its feeds and carrying one of
 * its tags where it names any. Ordered by kind (ip, domain, url, hash), then as selectEntries
 * orders them, so two renders of one version are byte for byte equal.
 */
export function selectListEntries(matcher: Matcher, list: EdlListConfig, carried: readonly ListKind[] = LIST_KINDS): ListEntry[] {
  const feeds = new Set(list.feeds);
  const tags = new Set(list.tags.map((t) => t.toLowerCase()));
  const out: ListEntry[] = [];
  for (const kind of LIST_KINDS) {
    if (!list.types.includes(kind) || !carried.includes(kind)) continue;
    const entries = selectEntries(matcher, { kind, ...(list.min_score !== undefined ? { minScore: list.min_score } : {}) });
    for (const entry of entries) {
      if (feeds.size > 0 && !matcher.entryFeeds(entry).some((f) => feeds.has(f))) continue;
      if (tags.size > 0 && !entryTags(matcher, entry, feeds).some((t) => tags.has(t.toLowerCase()))) continue;
      out.push({
        entry,
        kind,
        value: matcher.entryValue(entry),
        score: matcher.entryScore(entry),
        exactOnly: (matcher.set.flags[entry]! & FLAG_EXACT_ONLY) !== 0,
      });
    }
  }
  return out;
}

/**
 * Tags the entry's sources give it, first seen first. With a feed filter only those feeds'
 * sources count: a list of "feed A's ransomware" should not pick up feed B's tag.
 */
export function entryTags(matcher: Matcher, entry: number, feeds: ReadonlySet<string> = new Set()): string[] {
  const out = new Set<string>();
  for (const source of matcher.entryDetail(entry).sources) {
    if (feeds.size > 0 && !feeds.has(source.feed)) continue;
    for (const tag of source.tags ?? []) out.add(tag);
  }
  return [...out];
}

/**
 * Cuts a list to `max` units (what the firewall counts: lines, set elements, records) when
 * it is longer. The highest scores stay; the cut stops at the first entry that no longer fits,
 * so nothing kept scores below anything cut. Kept entries keep their list order.
 */
export function capEntries(entries: readonly ListEntry[], max: number, cost: (e: ListEntry) => number): { kept: ListEntry[]; cut: number } {
  if (max <= 0 || entries.length === 0) return { kept: [...entries], cut: 0 };
  const costs = entries.map(cost);
  if (costs.reduce((a, b) => a + b, 0) <= max) return { kept: [...entries], cut: 0 };
  // Stable: equal scores keep list order, so the same version always cuts the same entries.
  const byScore = entries.map((_, i) => i).sort((a, b) => entries[b]!.score - entries[a]!.score || a - b);
  const keep = new Set<number>();
  let used = 0;
  for (const i of byScore) {
    if (used + costs[i]! > max) break;
    used += costs[i]!;
    keep.add(i);
  }
  return { kept: entries.filter((_, i) => keep.has(i)), cut: entries.length - keep.size };
}
