import type { IndicatorType, ThreatContext } from './types.js';

/** One feed's listing of an indicator: its provenance. Times are epoch seconds. */
export interface SourceRecord {
  feed: string;
  confidence: number;
  firstSeen: number;
  lastSeen: number;
  tags?: string[];
  /** Where in the feed body, for explain. */
  line?: number;
  /** The text as the feed wrote it, when it differs from the canonical value. */
  original?: string;
  /** Set when the feed runs in monitor mode: this source alone never blocks. */
  monitorOnly?: boolean;
  /** Named threat objects the source ties the value to. */
  context?: ThreatContext[];
  tlp?: string;
  /** Epoch seconds: the source stops counting then, whatever its decay says. */
  validUntil?: number;
}

/** Why an indicator is never enforced: an allowlist line, or an exception in a feed. */
export interface AllowRecord {
  /** `allowlist:<file>`, `allowlist:inline`, or the name of the feed that carried the exception. */
  list: string;
  line?: number;
  reason?: string;
}

/**
 * One deduplicated indicator with everything known about it. `allow` non-empty means it is
 * allowlisted and never enforced, whatever its score.
 */
export interface IndicatorEntry {
  type: IndicatorType;
  value: string;
  score: number;
  /** Matches the name itself only, not names below it (RPZ exact triggers). */
  exactOnly: boolean;
  sources: SourceRecord[];
  allow: AllowRecord[];
  tags: string[];
  /** The score of the sources that may block, when some source is monitor-only. */
  blockScore?: number;
  /** Set by a guard: the entry is kept for explain but never enforced. */
  held?: GuardNote;
  /** Warn-mode warninglists the value is on: enforced, and verdicts say so. */
  warnings?: GuardNote[];
}

/** A guard's finding on one entry. */
export interface GuardNote {
  /** Which guard: special-range, wide-prefix, warninglist, allowlist. */
  guard: string;
  /** What exactly, for people: "10.0.0.0/8 is private-use (RFC 1918)". */
  detail: string;
}

/** Block and monitor thresholds on the 0-100 score. */
export interface Policy {
  block_at: number;
  monitor_at: number;
}

/** An immutable, versioned set: what every gateway enforces until the next version. */
export interface IndicatorSet {
  version: number;
  createdAt: number;
  policy: Policy;
  entries: IndicatorEntry[];
}
