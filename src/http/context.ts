import type { EdlListConfig } from '../edl/lists.js';
import type { DecayModels } from '../indicators/score.js';
import type { TaxiiSettings } from './routes/taxii.js';
import type { Logger } from '../log.js';
import type { AddressSet } from '../match/cidr/address-set.js';
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

/** config `forward_auth`: which values /v1/forward-auth looks up, and whose X-Forwarded-For it believes. */
export interface ForwardAuthSettings {
  check: Array<'client' | 'host' | 'url'>;
  trustedProxies: AddressSet;
}

/** A block or monitor answer of /v1/forward-auth or /v1/verdict; `type` is the matched indicator's. */
export interface ForwardAuthHit {
  source: 'forward-auth' | 'verdict';
  client?: string;
  value: string;
  type: string;
  verdict: string;
  indicator: string;
  feeds: string[];
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
  /**
   * The gateway's metrics when DNS runs in worker processes: this process's and the workers'
   * summed into one text, in place of this registry's own.
   */
  gatewayMetrics?: () => Promise<string>;
  /** A scale-out gateway: whether the shared store is unreachable (shown by /readyz). */
  storeDegraded?: () => boolean;
  /** The read-only TAXII server, when `taxii_server.enabled`. */
  taxii?: TaxiiSettings;
  /** Named lists (`edl:`), served at /edl/{name}. */
  edl?: EdlListConfig[];
  /** Where list secrets (password_env, token_env) are read from at start; process.env when absent. */
  env?: NodeJS.ProcessEnv;
  /** Absent: every check, and loopback as the only trusted proxy (the schema's defaults). */
  forwardAuth?: ForwardAuthSettings;
  /** Called once per forward-auth request, and per verdict value, answered block or monitor. */
  onHit?: (hit: ForwardAuthHit) => void;
}
