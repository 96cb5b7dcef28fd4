import type { FeedConfig } from '../config/load.js';
import type { Tally } from '../feeds/parsers/index.js';

/** What an operator sees about one feed (GET /v1/feeds, sluice sync output). */
export interface FeedStatus {
  name: string;
  url: string;
  format: string;
  /** ok: last update worked; failing: the last one failed, older data is served; pending: never loaded. */
  state: 'ok' | 'failing' | 'pending';
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
  };
}
