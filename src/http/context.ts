import type { Logger } from '../log.js';
import type { MatcherHolder } from '../match/holder.js';
import type { Metrics } from '../metrics/registry.js';
import type { AddressSet } from '../match/cidr/address-set.js';

/** What the HTTP layer needs from the rest of the gateway. */
export interface HttpDeps {
  holder: MatcherHolder;
  metrics: Metrics;
  logger: Logger;
  /** Status of every feed, as JSON-ready objects; absent on a gateway without a syncer. */
  feedStatus?: () => unknown[];
  /** Metrics kept elsewhere (the syncer thread), in the text format, appended to /metrics. */
  moreMetrics?: () => Promise<string>;
  /** Clients allowed on admin routes when no token is configured. */
  adminClients: AddressSet;
}
