import type { ObservationList } from './observations.js';
import { combineScores, DEFAULT_DECAY, sourceScore, type DecayModels } from './score.js';
import type { AllowRecord, GuardNote, IndicatorEntry, IndicatorSet, Policy, SourceRecord } from './set.js';
import type { Canonical, IndicatorType, ThreatContext } from './types.js';

/** What one feed's last good update contributes to a new set. */
export interface FeedContribution {
  feed: string;
  /** The feed's confidence, for values the format gives none. */
  confidence: number;
  /** When the feed last listed these values (its last successful fetch), epoch seconds. */
  listedAt: number;
  /** monitor: the feed's listings alone never block (a new feed on trial). */
  action?: 'block' | 'monitor';
  observations: ObservationList;
}

/** Allow entries from an allowlist file or inline config. */
export interface AllowContribution {
  list: string;
  /** Why these entries are allowed, shown by explain. */
  reason?: string;
  observations: ObservationList;
}

export interface BuildInput {
  version: number;
  now: number;
  policy: Policy;
  feeds: readonly FeedContribution[];
  allowlists: readonly AllowContribution[];
  /** Per-type ageing; DEFAULT_DECAY when absent. */
  decay?: DecayModels;
  /** Checks each listed entry before it can be enforced (see src/guards). */
  guard?: EntryGuard;
}

/** A guard's findings on one entry: held back, or enforced with warnings. */
export interface GuardFindings {
  held?: GuardNote;
  warnings?: GuardNote[];
}

export type EntryGuard = (entry: IndicatorEntry) => GuardFindings | undefined;

/** Sources named this are the operator's own entries, which no guard second-guesses. */
export const MANUAL_FEED = 'manual';

/** How many held values each feed's report keeps as examples. */
const HELD_EXAMPLES = 5;

/** What the guards held back of one feed's listings. */
export interface HeldReport {
  count: number;
  byGuard: Record<string, number>;
  examples: Array<{ value: string; guard: string; detail: string }>;
}

export interface BuildResult {
  set: IndicatorSet;
  /** Indicators left out because every source listing them is older than its lifetime. */
  expired: number;
  /** Per feed: listings a guard held back (allowlisted ones included, as guard allowlist). */
  held: Map<string, HeldReport>;
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
 * Pure: the same input gives the same set. The entries are working objects for compiling;
 * nothing keeps them once the compiled set exists.
 */
export function buildIndicatorSet(input: BuildInput): BuildResult {
  // One map per type, keyed by matchValue: no composite key string is built per value.
  const index = new Map<IndicatorType, Map<string, IndicatorEntry>>();
  const entries: IndicatorEntry[] = [];
  const entryFor = (list: ObservationList, i: number): IndicatorEntry => {
    const type = list.type(i);
    const value = list.value(i);
    let byValue = index.get(type);
    if (!byValue) index.set(type, (byValue = new Map()));
    const key = type === 'url' ? matchValue({ type, value }) : value;
    let entry = byValue.get(key);
    if (!entry) {
      entry = { type, value, score: 0, exactOnly: true, sources: [], allow: NO_ALLOW, tags: NO_TAGS };
      byValue.set(key, entry);
      entries.push(entry);
    }
    return entry;
  };

  for (const feed of input.feeds) {
    const list = feed.observations;
    for (let i = 0; i < list.size; i++) {
      const entry = entryFor(list, i);
      if (list.action(i) === 'allow') addAllow(entry, allowRecord(feed.feed, list.line(i)));
      else addSource(entry, feed, i, input.now);
    }
  }
  for (const allowlist of input.allowlists) {
    const list = allowlist.observations;
    for (let i = 0; i < list.size; i++) {
      const record = allowRecord(allowlist.list, list.line(i));
      if (allowlist.reason !== undefined) record.reason = allowlist.reason;
      addAllow(entryFor(list, i), record);
    }
  }

  const decay = input.decay ?? DEFAULT_DECAY;
  const kept = entries.filter((entry) => finish(entry, input.now, decay));
  const held = new Map<string, HeldReport>();
  for (const entry of kept) {
    if (entry.sources.length === 0) continue;
    const note = entry.allow.length ? allowNote(entry) : applyGuard(entry, input.guard);
    if (note) for (const source of entry.sources) noteHeld(held, source.feed, entry.value, note);
  }
  return {
    set: { version: input.version, createdAt: input.now, policy: input.policy, entries: kept },
    expired: entries.length - kept.length,
    held,
  };
}

/** A listed value an allowlist overrides: reported to its feeds like a held one. */
function allowNote(entry: IndicatorEntry): GuardNote {
  return { guard: 'allowlist', detail: `allowed by ${entry.allow[0]!.list}` };
}

function applyGuard(entry: IndicatorEntry, guard: EntryGuard | undefined): GuardNote | undefined {
  if (!guard || entry.sources.some((s) => s.feed === MANUAL_FEED)) return undefined;
  const findings = guard(entry);
  if (findings?.warnings?.length) entry.warnings = findings.warnings;
  if (findings?.held) entry.held = findings.held;
  return findings?.held;
}

function noteHeld(reports: Map<string, HeldReport>, feed: string, value: string, note: GuardNote): void {
  let report = reports.get(feed);
  if (!report) reports.set(feed, (report = { count: 0, byGuard: {}, examples: [] }));
  report.count++;
  report.byGuard[note.guard] = (report.byGuard[note.guard] ?? 0) + 1;
  if (report.examples.length < HELD_EXAMPLES) report.examples.push({ value, ...note });
}

function addAllow(entry: IndicatorEntry, record: AllowRecord): void {
  entry.allow = entry.allow === NO_ALLOW ? [record] : [...entry.allow, record];
}

function allowRecord(list: string, line: number | undefined): AllowRecord {
  return line === undefined ? { list } : { list, line };
}

function addSource(entry: IndicatorEntry, feed: FeedContribution, i: number, now: number): void {
  const list = feed.observations;
  const extra = list.extra(i);
  if (!list.exactOnly(i)) entry.exactOnly = false;
  const confidence = extra?.confidence ?? feed.confidence;
  const same = entry.sources.find((s) => s.feed === feed.feed);
  if (same) {
    // The same feed listing one value twice (two spellings of one IDN name, say) is one source.
    same.confidence = Math.max(same.confidence, confidence);
    if (extra?.tags) same.tags = [...new Set([...(same.tags ?? []), ...extra.tags])];
    if (extra?.context) same.context = mergeContext(same.context, extra.context);
    if (extra?.validUntil !== undefined && same.validUntil !== undefined) same.validUntil = Math.max(same.validUntil, extra.validUntil);
    else delete same.validUntil;
    return;
  }
  const source: SourceRecord = {
    feed: feed.feed,
    confidence,
    firstSeen: Math.min(list.listedSince?.[i] ?? now, extra?.firstSeen ?? now, feed.listedAt),
    lastSeen: feed.listedAt,
  };
  if (feed.action === 'monitor') source.monitorOnly = true;
  if (extra?.tags?.length) source.tags = extra.tags;
  const line = list.line(i);
  if (line !== undefined) source.line = line;
  if (extra?.original !== undefined) source.original = extra.original;
  if (extra?.context) source.context = extra.context;
  if (extra?.tlp !== undefined) source.tlp = extra.tlp;
  if (extra?.validUntil !== undefined) source.validUntil = extra.validUntil;
  entry.sources.push(source);
}

/** Context objects of both lists, each (kind, name) once. */
function mergeContext(a: ThreatContext[] | undefined, b: ThreatContext[]): ThreatContext[] {
  const out = [...(a ?? [])];
  for (const c of b) if (!out.some((o) => o.kind === c.kind && o.name === c.name)) out.push(c);
  return out;
}

/**
 * Scores an entry as of `now`: each source decayed by its age, expired sources dropped, the
 * rest combined. Returns false when nothing keeps the entry in the set (every source expired
 * and no allow record).
 */
function finish(entry: IndicatorEntry, now: number, decay: DecayModels): boolean {
  if (entry.sources.length === 0) {
    entry.exactOnly = false;
    return entry.allow.length > 0;
  }
  const model = decay[entry.type];
  const live = entry.sources.filter(
    (s) => (s.validUntil === undefined || s.validUntil > now) && sourceScore(s.confidence, now - s.lastSeen, model) > 0,
  );
  if (live.length === 0) {
    entry.sources = [];
    entry.exactOnly = false;
    return entry.allow.length > 0;
  }
  if (live.length > 1) live.sort((a, b) => (a.feed < b.feed ? -1 : a.feed > b.feed ? 1 : 0));
  entry.sources = live;

  const scores = live.map((s) => sourceScore(s.confidence, now - s.lastSeen, model));
  entry.score = combineScores(scores);
  // Sources from monitor-only feeds add to the score but cannot make it a block on their own.
  if (live.some((s) => s.monitorOnly)) {
    entry.blockScore = combineScores(scores.filter((_, i) => !live[i]!.monitorOnly));
  }
  if (live.length === 1) {
    if (live[0]!.tags?.length) entry.tags = live[0]!.tags;
  } else {
    const tags = new Set<string>();
    for (const s of live) for (const t of s.tags ?? []) tags.add(t);
    if (tags.size) entry.tags = [...tags];
  }
  return true;
}
