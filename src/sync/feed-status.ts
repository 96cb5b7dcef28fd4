import type { FeedConfig } from '../config/load.js';
import type { Tally } from '../feeds/parsers/index.js';

/** What an operator sees about one feed (GET /v1/feeds, sluice sync output). */
export interface FeedStatus {
  name: string;
  url: string;
  format: string;
  /**
   * ok: last update worked; failing: the last one failed, older data is served; held: the last
   * update changed the feed too much and waits for an operator, older data is served;
   * pending: never loaded.
   */
  state: 'ok' | 'failing' | 'held' | 'pending';
  /** Where the data being served came from. */
  origin: 'network' | 'file' | 'cache' | 'none';
  /** Epoch seconds. */
  lastAttempt?: number;
  lastSuccess?: number;
  lastError?: string;
  consecutiveFailures: number;
  /** Valid values in the data being served. */
  entries: number;
  invalid: Tally;
  skipped: Tally;
  adjusted: Tally;
  /** Listings the guards keep out of enforcement, by guard, with examples. */
  quarantined: { count: number; byGuard: Record<string, number>; examples: Array<{ value: string; guard: string; detail: string }> };
  /** An update held back by the change guard, until accepted or superseded. */
  heldUpdate?: { reason: string; entries: number; previous: number; at: number; examples: string[] };
}

export const emptyTally = (): Tally => ({ count: 0, examples: [], reasons: {} });

/** A feed's status before anything is known about it. */
export function initialStatus(feed: FeedConfig): FeedStatus {
  return {
    name: feed.name,
    url: feed.url,
    format: feed.format,
    state: 'pending',
    origin: 'none',
    consecutiveFailures: 0,
    entries: 0,
    invalid: emptyTally(),
    skipped: emptyTally(),
    adjusted: emptyTally(),
    quarantined: { count: 0, byGuard: {}, examples: [] },
  };
}
