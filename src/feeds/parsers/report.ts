import { SluiceError } from '../../errors.js';
import { normalizeValue } from '../../indicators/normalize/index.js';
import { ObservationList } from '../../indicators/observations.js';
import type {
  Observation,
  ObservationAction,
  Rejection,
  ThreatContext,
  TypeHint,
} from '../../indicators/types.js';

/** How many examples of each kind of problem a feed status keeps. */
export const MAX_EXAMPLES = 10;

/** Extra facts a format knows about a value, beyond the value itself. */
export interface ValueFacts {
  action?: ObservationAction;
  confidence?: number;
  tags?: string[];
  firstSeen?: number;
  exactOnly?: boolean;
  context?: ThreatContext[];
  tlp?: string;
  validUntil?: number;
}

/** A counted problem with its first few examples. */
export interface Tally {
  count: number;
  examples: Rejection[];
  /** Count per reason, so that a status can say "412 public suffix, 3 empty label". */
  reasons: Record<string, number>;
}

function emptyTally(): Tally {
  return { count: 0, examples: [], reasons: {} };
}

function addTo(tally: Tally, entry: Rejection): void {
  tally.count++;
  tally.reasons[entry.reason] = (tally.reasons[entry.reason] ?? 0) + 1;
  if (tally.examples.length < MAX_EXAMPLES) tally.examples.push(entry);
}

/**
 * Collects what one parse of one feed body produced: the observations, the values that were
 * invalid (counted against the feed's error budget), the lines that were skipped on purpose
 * (rules a DNS and IP gateway cannot honour exactly), and values that were changed on the way
 * in (refanged, retyped, host bits cleared), so nothing is silently kept or dropped.
 */
export class ParseReport {
  /** The values, by column; `observations` gives them as objects. */
  readonly list = new ObservationList();
  readonly invalid: Tally = emptyTally();
  readonly skipped: Tally = emptyTally();
  readonly adjusted: Tally = emptyTally();

  /** Normalizes one raw value and records the outcome. Returns how many observations it gave. */
  value(raw: string, line: number | undefined, hint: TypeHint, facts: ValueFacts = {}): number {
    let normalized;
    try {
      normalized = normalizeValue(raw, hint);
    } catch (err) {
      const reason = err instanceof SluiceError && 'reason' in err ? String(err.reason) : String(err);
      this.reject(line, raw, reason);
      return 0;
    }
    for (const note of normalized.notes ?? []) addTo(this.adjusted, { line, value: raw, reason: note });

    const tags = mergeTags(facts.tags, normalized.tags);
    for (const canonical of normalized.values) {
      const obs: Observation = { ...canonical, action: facts.action ?? 'block' };
      if (line !== undefined) obs.line = line;
      if (facts.confidence !== undefined) obs.confidence = facts.confidence;
      if (tags) obs.tags = tags;
      if (facts.firstSeen !== undefined) obs.firstSeen = facts.firstSeen;
      if (facts.exactOnly) obs.exactOnly = true;
      if (facts.context?.length) obs.context = facts.context;
      if (facts.tlp !== undefined) obs.tlp = facts.tlp;
      if (facts.validUntil !== undefined) obs.validUntil = facts.validUntil;
      if (canonical.value !== raw.trim()) obs.original = raw.trim();
      this.list.push(obs);
    }
    return normalized.values.length;
  }

  /** Every value as an object: for tests and small lists, not for a million values. */
  get observations(): Observation[] {
    return this.list.toArray();
  }

  reject(line: number | undefined, value: string, reason: string): void {
    addTo(this.invalid, { line, value: clip(value), reason });
  }

  skip(line: number | undefined, value: string, reason: string): void {
    addTo(this.skipped, { line, value: clip(value), reason });
  }
}

function mergeTags(a: string[] | undefined, b: string[] | undefined): string[] | undefined {
  if (!a?.length) return b?.length ? b : undefined;
  if (!b?.length) return a;
  return [...new Set([...a, ...b])];
}

/** Examples are shown in status pages and logs; a 2 MB line must not be. */
function clip(value: string): string {
  return value.length > 200 ? `${value.slice(0, 200)}…` : value;
}
