import { combineConfidences } from './score.js';
import type { AllowRecord, IndicatorEntry, IndicatorSet, Policy, SourceRecord } from './set.js';
import type { Canonical, Observation } from './types.js';

/** What one feed's last good update contributes to a new set. */
export interface FeedContribution {
  feed: string;
  /** The feed's confidence, for values the format gives none. */
  confidence: number;
  /** When the feed last listed these values (its last successful fetch), epoch seconds. */
  listedAt: number;
  observations: readonly Observation[];
}

/** Allow entries from an allowlist file or inline config. */
export interface AllowContribution {
  list: string;
  observations: readonly Observation[];
}

export interface BuildInput {
  version: number;
  now: number;
  policy: Policy;
  feeds: readonly FeedContribution[];
  allowlists: readonly AllowContribution[];
  /** The previous version's entry for a key, so first-seen times carry over. */
  previous?: PreviousLookup;
}

/** Finds the previous version of an indicator by its matchKey. */
export type PreviousLookup = (key: string) => Pick<IndicatorEntry, 'sources'> | undefined;

export interface BuildOutput {
  set: IndicatorSet;
  byKey: Map<string, IndicatorEntry>;
}

/**
 * The dedup key of a canonical value. URLs are keyed without their scheme, so a URL listed as
 * http by one feed and https by another is one indicator, matched whichever way it is asked.
 */
export function matchKey(c: Canonical): string {
  if (c.type === 'url') return `url:${c.value.slice(c.value.indexOf('://') + 3)}`;
  return `${c.type}:${c.value}`;
}

/**
 * Merges every feed's observations and the allowlists into one deduplicated, scored set.
 * Pure: the same input gives the same set.
 */
export function buildIndicatorSet(input: BuildInput): BuildOutput {
  const byKey = new Map<string, IndicatorEntry>();
  const entryFor = (obs: Observation): IndicatorEntry => {
    const key = matchKey(obs);
    let entry = byKey.get(key);
    if (!entry) {
      entry = { type: obs.type, value: obs.value, score: 0, exactOnly: true, sources: [], allow: [], tags: [] };
      byKey.set(key, entry);
    }
    return entry;
  };

  for (const feed of input.feeds) {
    for (const obs of feed.observations) {
      const entry = entryFor(obs);
      if (obs.action === 'allow') entry.allow.push(allowRecord(feed.feed, obs));
      else addSource(entry, feed, obs, input.previous?.(matchKey(obs)), input.now);
    }
  }
  for (const list of input.allowlists) {
    for (const obs of list.observations) entryFor(obs).allow.push(allowRecord(list.list, obs));
  }

  const entries = [...byKey.values()];
  for (const entry of entries) finish(entry);
  return {
    set: { version: input.version, createdAt: input.now, policy: input.policy, entries },
    byKey,
  };
}

function allowRecord(list: string, obs: Observation): AllowRecord {
  const record: AllowRecord = { list };
  if (obs.line !== undefined) record.line = obs.line;
  return record;
}

function addSource(
  entry: IndicatorEntry,
  feed: FeedContribution,
  obs: Observation,
  previous: Pick<IndicatorEntry, 'sources'> | undefined,
  now: number,
): void {
  if (!obs.exactOnly) entry.exactOnly = false;
  const confidence = obs.confidence ?? feed.confidence;
  const same = entry.sources.find((s) => s.feed === feed.feed);
  if (same) {
    // The same feed listing one value twice (two spellings of one IDN name, say) is one source.
    same.confidence = Math.max(same.confidence, confidence);
    if (obs.tags) same.tags = [...new Set([...(same.tags ?? []), ...obs.tags])];
    return;
  }
  const before = previous?.sources.find((s) => s.feed === feed.feed)?.firstSeen;
  const source: SourceRecord = {
    feed: feed.feed,
    confidence,
    firstSeen: Math.min(before ?? now, obs.firstSeen ?? now, feed.listedAt),
    lastSeen: feed.listedAt,
  };
  if (obs.tags?.length) source.tags = obs.tags;
  if (obs.line !== undefined) source.line = obs.line;
  if (obs.original !== undefined) source.original = obs.original;
  entry.sources.push(source);
}

function finish(entry: IndicatorEntry): void {
  if (entry.sources.length === 0) entry.exactOnly = false;
  entry.sources.sort((a, b) => (a.feed < b.feed ? -1 : a.feed > b.feed ? 1 : 0));
  entry.score = combineConfidences(entry.sources.map((s) => s.confidence));
  const tags = new Set<string>();
  for (const s of entry.sources) for (const t of s.tags ?? []) tags.add(t);
  entry.tags = [...tags];
}
