import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { FastHistogram } from './fast-histogram.js';
import { Tally } from './tally.js';
import { INDICATOR_TYPES } from '../indicators/types.js';

/**
 * Which metrics a registry exports. A gateway answers lookups; a syncer fetches feeds. When
 * they run in different threads or processes, each exports its own part and /metrics joins
 * the two, so no metric is ever reported twice.
 */
export type MetricsPart = 'all' | 'gateway' | 'syncer';

/** Seconds; a lookup takes about a microsecond, a confirmation in Redis a millisecond. */
export const LOOKUP_BUCKETS = [1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 1e-2];

/** `metric`, registered in `registry` (which takes anything with a name and a get()). */
function registered<T extends { name: string }>(registry: Registry, metric: T): T {
  registry.registerMetric(metric as never);
  return metric;
}

/**
 * Every metric sluice exports, in one place. The names marked "contract" are in DESIGN.md and
 * users build dashboards and alerts on them: they do not change. A metric outside the chosen
 * part still works, it is just not exported by this registry.
 */
export class Metrics {
  private readonly gatewayRegistry = new Registry();
  private readonly syncerRegistry = new Registry();
  /** The registry /metrics renders: the chosen part's metrics. */
  readonly registry: Registry;

  /** contract: DNS queries by what was done with them. */
  readonly dnsQueries: Counter<'action'> = new Counter({
    name: 'sluice_dns_queries_total',
    help: 'DNS queries by action: blocked, monitored, forwarded, refused, malformed, servfail, notimp, badvers',
    labelNames: ['action'] as const,
    registers: [this.gatewayRegistry],
    collect: (): void => this.fast.dnsQueries.flush(),
  });

  /** contract: verdicts given, by indicator type and verdict, over DNS and HTTP. */
  readonly verdicts: Counter<'type' | 'verdict'> = new Counter({
    name: 'sluice_verdicts_total',
    help: 'Verdicts given, by type of the value asked about and verdict',
    labelNames: ['type', 'verdict'] as const,
    registers: [this.gatewayRegistry],
    collect: (): void => this.fast.verdicts.flush(),
  });

  /** contract: block and monitor hits, once for every feed that lists the matched indicator. */
  readonly hits: Counter<'feed' | 'type'> = new Counter({
    name: 'sluice_hits_total',
    help: 'Block and monitor hits, by feed listing the matched indicator and its type',
    labelNames: ['feed', 'type'] as const,
    registers: [this.gatewayRegistry],
    collect: (): void => this.fast.hits.flush(),
  });

  /** contract: time to look a value up in the matcher (observed once per DNS query). */
  readonly lookupDuration = registered(
    this.gatewayRegistry,
    new FastHistogram('sluice_lookup_duration_seconds', 'Time to look one value up in the current set', LOOKUP_BUCKETS),
  );

  /** contract: enforceable indicators in the current set, by type. */
  readonly indicators = new Gauge({
    name: 'sluice_indicators',
    help: 'Indicators in the current set that score at least monitor_at and are not allowlisted, by type',
    labelNames: ['type'] as const,
    registers: [this.gatewayRegistry],
  });

  /** contract */
  readonly feedLastSuccess = new Gauge({
    name: 'sluice_feed_last_success_timestamp_seconds',
    help: 'When each feed last updated successfully (a 304 counts), epoch seconds',
    labelNames: ['feed'] as const,
    registers: [this.syncerRegistry],
  });

  /** contract */
  readonly feedErrors = new Counter({
    name: 'sluice_feed_errors_total',
    help: 'Failed feed updates: fetch errors, bodies that are not feeds, updates over the error budget',
    labelNames: ['feed'] as const,
    registers: [this.syncerRegistry],
  });

  /** contract */
  readonly setVersion = new Gauge({
    name: 'sluice_set_version',
    help: 'Version of the indicator set being enforced',
    registers: [this.gatewayRegistry],
  });

  readonly feedEntries = new Gauge({
    name: 'sluice_feed_entries',
    help: 'Valid values in the last good update of each feed',
    labelNames: ['feed'] as const,
    registers: [this.syncerRegistry],
  });

  readonly feedInvalid = new Gauge({
    name: 'sluice_feed_invalid_entries',
    help: 'Invalid values in the last parsed update of each feed',
    labelNames: ['feed'] as const,
    registers: [this.syncerRegistry],
  });

  readonly feedSkipped = new Gauge({
    name: 'sluice_feed_skipped_entries',
    help: 'Rules skipped on purpose in the last parsed update of each feed (not enforceable exactly)',
    labelNames: ['feed'] as const,
    registers: [this.syncerRegistry],
  });

  readonly clientHits: Counter<'client'> = new Counter({
    name: 'sluice_client_hits_total',
    help: 'Block and monitor hits by DNS client; clients beyond dns.client_metrics count as "other"',
    labelNames: ['client'] as const,
    registers: [this.gatewayRegistry],
    collect: (): void => this.fast.clientHits.flush(),
  });

  readonly dnsCache: Counter<'result'> = new Counter({
    name: 'sluice_dns_cache_total',
    help: 'Answer cache lookups by result (hit, miss)',
    labelNames: ['result'] as const,
    registers: [this.gatewayRegistry],
    collect: (): void => this.fast.dnsCache.flush(),
  });

  readonly queryLogDropped = new Counter({
    name: 'sluice_query_log_dropped_total',
    help: 'Query log lines dropped because the disk fell behind',
    registers: [this.gatewayRegistry],
  });

  readonly upstreamFailures = new Counter({
    name: 'sluice_upstream_failures_total',
    help: 'Upstream tries that timed out or failed, by upstream',
    labelNames: ['upstream'] as const,
    registers: [this.gatewayRegistry],
  });

  readonly eventsSent = new Counter({
    name: 'sluice_events_sent_total',
    help: 'Hit events handed to a sink (file, syslog, webhook)',
    labelNames: ['sink'] as const,
    registers: [this.gatewayRegistry],
  });

  readonly eventsDropped = new Counter({
    name: 'sluice_events_dropped_total',
    help: 'Hit events a sink never received: its queue was full, its batch failed after retries, or shutdown came first',
    labelNames: ['sink'] as const,
    registers: [this.gatewayRegistry],
  });

  readonly eventsErrors = new Counter({
    name: 'sluice_events_errors_total',
    help: 'Batches of hit events a sink failed to deliver after its retries',
    labelNames: ['sink'] as const,
    registers: [this.gatewayRegistry],
  });

  /** The event bus's reports (createEventBus callbacks), counted in the three metrics above. */
  readonly eventCounts = {
    onSent: (sink: string, n: number) => this.eventsSent.inc({ sink }, n),
    onDrop: (sink: string, n: number) => this.eventsDropped.inc({ sink }, n),
    onError: (sink: string) => this.eventsErrors.inc({ sink }),
  };

  readonly quarantined = new Gauge({
    name: 'sluice_quarantined_indicators',
    help: 'Listed values a guard keeps out of enforcement, by feed and guard',
    labelNames: ['feed', 'guard'] as const,
    registers: [this.syncerRegistry],
  });

  readonly updatesHeld = new Counter({
    name: 'sluice_feed_updates_held_total',
    help: 'Feed updates held back because they shrank or grew the feed too much at once',
    labelNames: ['feed'] as const,
    registers: [this.syncerRegistry],
  });

  readonly overrides = new Gauge({
    name: 'sluice_manual_entries',
    help: 'Manual block and allow entries in force',
    labelNames: ['action'] as const,
    registers: [this.syncerRegistry],
  });

  readonly storeDegraded = new Gauge({
    name: 'sluice_store_degraded',
    help: '1 while a gateway cannot reach Redis and serves the version it holds',
    registers: [this.gatewayRegistry],
  });

  readonly edgeConfirmations = new Counter({
    name: 'sluice_edge_confirmations_total',
    help: 'Keys an edge gateway asked Redis about after a Bloom positive, by outcome (listed, absent, error)',
    labelNames: ['result'] as const,
    registers: [this.gatewayRegistry],
  });

  readonly edgeUnconfirmed = new Counter({
    name: 'sluice_edge_unconfirmed_total',
    help: 'Lookups an edge gateway answered by its unconfirmed policy because Redis could not confirm a Bloom positive',
    labelNames: ['policy'] as const,
    registers: [this.gatewayRegistry],
  });

  readonly storeErrors = new Counter({
    name: 'sluice_store_errors_total',
    help: 'Failures to persist or load a set version',
    labelNames: ['operation'] as const,
    registers: [this.syncerRegistry],
  });

  /**
   * Hot-path tallies of the counters above, for code that counts per DNS answer. Anything
   * else may inc the counters directly; both add up at scrape time.
   */
  readonly fast: {
    dnsQueries: Tally<'action'>;
    verdicts: Tally<'type' | 'verdict'>;
    hits: Tally<'feed' | 'type'>;
    clientHits: Tally<'client'>;
    dnsCache: Tally<'result'>;
  } = {
    dnsQueries: new Tally(this.dnsQueries),
    verdicts: new Tally(this.verdicts),
    hits: new Tally(this.hits),
    clientHits: new Tally(this.clientHits),
    dnsCache: new Tally(this.dnsCache),
  };

  constructor(options: { processMetrics?: boolean; part?: MetricsPart } = {}) {
    const part = options.part ?? 'all';
    this.registry =
      part === 'gateway'
        ? this.gatewayRegistry
        : part === 'syncer'
          ? this.syncerRegistry
          : Registry.merge([this.gatewayRegistry, this.syncerRegistry]);
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'sluice_' });
  }

  /** Records the set version now enforced and its indicator counts by type. */
  setLoaded(version: number, counts: Readonly<Record<string, number>>): void {
    this.setVersion.set(version);
    for (const type of INDICATOR_TYPES) this.indicators.set({ type }, counts[type] ?? 0);
  }
}
