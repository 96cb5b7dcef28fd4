import type { DecayModels } from '../indicators/score.js';
import type { Logger } from '../log.js';
import type { MatcherHolder } from '../match/holder.js';
import type { Metrics } from '../metrics/registry.js';
import type { OverrideAdmin } from '../overrides/admin.js';
import type { TokenAuth } from './auth.js';

/** What the admin routes act on; absent on a process that runs no syncer. */
export interface AdminDeps {
  syncFeed(name: string): Promise<boolean>;
  acceptFeed(name: string): Promise<{ version: number | undefined; entries: number } | undefined>;
  overrides: OverrideAdmin;
}

/** What the HTTP layer needs from the rest of the gateway. */
export interface HttpDeps {
  holder: MatcherHolder;
  metrics: Metrics;
  logger: Logger;
  auth: TokenAuth;
  /** open: verdict and list routes need no token; token: they need one with scope verdict. */
  verdictAuth: 'open' | 'token';
  /** Ageing per type, for explain's score parts. */
  decay?: DecayModels;
  /** Status of every feed, as JSON-ready objects; absent on a gateway without a syncer. */
  feedStatus?: () => unknown[];
  admin?: AdminDeps;
  /** Metrics kept elsewhere (the syncer thread), in the text format, appended to /metrics. */
  moreMetrics?: () => Promise<string>;
}
