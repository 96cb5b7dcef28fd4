import type { Config } from '../config/load.js';
import { parseHostPort } from '../config/units.js';
import type { Logger } from '../log.js';
import { AddressSet } from '../match/cidr/address-set.js';
import type { MatcherHolder } from '../match/holder.js';
import type { Metrics } from '../metrics/registry.js';
import { ipBytes } from './addresses.js';
import { AnswerCache } from './cache.js';
import { Forwarder } from './forwarder.js';
import { QueryHandler, type DnsHit } from './handler.js';
import { QueryLog } from './query-log.js';
import { RateLimiter } from './rate-limit.js';
import { DnsServer } from './server.js';

/** How often upstreams that are set aside are probed. */
const UPSTREAM_PROBE_MS = 10_000;

export interface DnsStack {
  server: DnsServer;
  handler: QueryHandler;
  forwarder: Forwarder;
  close(): Promise<void>;
}

/**
 * The DNS side of a gateway as the config describes it: forwarder, cache, limits, query log,
 * handler and listeners (not yet listening). The same in the main thread and in each DNS
 * worker (thread or process); `logSuffix` keeps workers' query logs apart, `udpSharers` lets
 * workers each bind the UDP port on the batched helper, and `tcp: false` leaves TCP to another.
 */
export function buildDnsStack(
  config: Config,
  deps: { holder: MatcherHolder; metrics: Metrics; logger: Logger; onHit?: (hit: DnsHit) => void; logSuffix?: string; udpSharers?: number; tcp?: boolean },
): DnsStack {
  const { metrics } = deps;
  const forwarder = new Forwarder(
    config.dns.upstream.map((u) => (u.startsWith('https://') ? { host: '', port: 0, url: u } : parseHostPort(u)!)),
    config.dns.upstream_timeout,
    (upstream) => metrics.upstreamFailures.inc({ upstream }),
  );
  forwarder.startHealthChecks(UPSTREAM_PROBE_MS);
  const ql = config.dns.query_log;
  const queryLog = ql ? new QueryLog(`${ql.path}${deps.logSuffix ?? ''}`, ql.max_bytes, ql.keep, () => metrics.queryLogDropped.inc()) : undefined;
  const handler = new QueryHandler({
    holder: deps.holder,
    metrics,
    forwarder,
    acl: AddressSet.fromCidrs(config.dns.allow_clients),
    block: {
      response: config.dns.block_response,
      ttl: config.dns.block_ttl,
      ipv4: ipBytes(config.dns.sinkhole.ipv4),
      ipv6: ipBytes(config.dns.sinkhole.ipv6),
    },
    logger: deps.logger,
    inspectAnswers: config.dns.inspect_answers,
    cache: new AnswerCache(config.dns.cache_size),
    ...(config.dns.rate_limit.qps > 0
      ? { rateLimit: { limiter: new RateLimiter(config.dns.rate_limit.qps, config.dns.rate_limit.burst), action: config.dns.rate_limit.action } }
      : {}),
    ...(queryLog ? { queryLog } : {}),
    ...(deps.onHit ? { onHit: deps.onHit } : {}),
    clientLabels: config.dns.client_metrics,
  });
  const server = new DnsServer(handler, deps.logger, { udp: config.dns.udp_io, udpSharers: deps.udpSharers ?? 1, tcp: deps.tcp ?? true });
  return {
    server,
    handler,
    forwarder,
    async close() {
      await server.close();
      forwarder.close();
      await queryLog?.close();
    },
  };
}
