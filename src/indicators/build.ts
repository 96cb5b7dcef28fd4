import { combineConfidences } from './score.js';
import type { AllowRecord, IndicatorEntry, IndicatorSet, Policy, SourceRecord } from './set.js';
import type { Canonical, IndicatorType, Observation } from './types.js';

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
  /** Why these entries are allowed, shown by explain. */
  reason?: string;
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

/** Finds the previous version of an indicator by its type and matchValue. */
export type PreviousLookup = (type: IndicatorType, value: string) => Pick<IndicatorEntry, 'sources'> | undefined;

export interface BuildOutput {
  set: IndicatorSet;
  /** The new set's entries by type and matchValue, for the next build's first-seen times. */
  previous: PreviousLookup;
}

/**
 * The value an indicator is deduplicated and matched by. URLs drop their scheme, so a URL
 * listed as http by one feed and https by another is one indicator, whichever way it is asked.
 */
export function matchValue(c: Canonical): string {
  return c.type === 'url' ? c.value.slice(c.value.indexOf('://') + 3) : c.value;
}

/** Shared empty lists: most entries have no allow records and no tags, so none are allocated. */
const NO_ALLOW: AllowRecord[] = Object.freeze([]) as unknown as AllowRecord[];
const NO_TAGS: string[] = Object.freeze([]) as unknown as string[];

/**
 * Merges every feed's observations and the allowlists into one deduplicated, scored set.
 * Pure: the same input gives the same set.
 */
export function buildIndicatorSet(input: BuildInput): BuildOutput {
  // One map per type, keyed by matchValue: no composite key string is built per value.
  const index = new Map<IndicatorType, Map<string, IndicatorEntry>>();
  const entries: IndicatorEntry[] = [];
  const entryFor = (obs: Observation, value: string): IndicatorEntry => {
    let byValue = index.get(obs.type);
    if (!byValue) index.set(obs.type, (byValue = new Map()));
    let entry = byValue.get(value);
    if (!entry) {
      entry = { type: obs.type, value: obs.value, score: 0, exactOnly: true, sources: [], allow: NO_ALLOW, tags: NO_TAGS };
      byValue.set(value, entry);
      entries.push(entry);
    }
    return entry;
  };

  for (const feed of input.feeds) {
    for (const obs of feed.observations) {
      const value = matchValue(obs);
      const entry = entryFor(obs, value);
      if (obs.action === 'allow') addAllow(entry, allowRecord(feed.feed, obs));
      else addSource(entry, feed, obs, input.previous?.(obs.type, value), input.now);
    }
  }
  for (const list of input.allowlists) {
    for (const obs of list.observations) {
      const record = allowRecord(list.list, obs);
      if (list.reason !== undefined) record.reason = list.reason;
      addAllow(entryFor(obs, matchValue(obs)), record);
    }
  }

  for (const entry of entries) finish(entry);
  return {
    set: { version: input.version, createdAt: input.now, policy: input.policy, entries },
    previous: (type, value) => index.get(type)?.get(value),
  };
}

function addAllow(entry: IndicatorEntry, record: AllowRecord): void {
  entry.allow = entry.allow === NO_ALLOW ? [record] : [...entry.allow, record];
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
  const { sources } = entry;
  if (sources.length === 0) {
    entry.exactOnly = false;
    return;
  }
  if (sources.length === 1) {
    entry.score = combineConfidences([sources[0]!.confidence]);
    if (sources[0]!.tags?.length) entry.tags = sources[0]!.tags;
    return;
  }
  sources.sort((a, b) => (a.feed < b.feed ? -1 : a.feed > b.feed ? 1 : 0));
  entry.score = combineConfidences(sources.map((s) => s.confidence));
  const tags = new Set<string>();
  for (const s of sources) for (const t of s.tags ?? []) tags.add(t);
  if (tags.size) entry.tags = [...tags];
}
