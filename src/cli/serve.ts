import { parseHostPort } from '../config/units.js';
import { SluiceError } from '../errors.js';
import { buildDnsStack } from '../dns/stack.js';
import type { DnsHit } from '../dns/handler.js';
import { createEventBus, dnsHitEvent, httpHitEvent } from '../events/index.js';
import type { ForwardAuthHit } from '../http/context.js';
import { DnsWorkerPool } from '../dns/workers/pool.js';
import { DnsThreadPool } from '../dns/workers/threads.js';
import { holdSharedSet } from '../dns/workers/shared-sets.js';
import { batchUdp } from '../dns/batch-udp.js';
import { buildApp } from '../http/app.js';
import type { TaxiiSettings } from '../http/routes/taxii.js';
import { stableUuid } from '../sharing/stix-export.js';
import type { ListKind } from '../edl/select.js';
import { resolveTokens, TokenAuth } from '../http/auth.js';
import { OverrideAdmin } from '../overrides/admin.js';
import { openOverrides } from '../overrides/open.js';
import { decayModels } from '../sync/publisher.js';
import { listenHttp, stopHttp } from '../http/server.js';
import type { Logger } from '../log.js';
import { AddressSet } from '../match/cidr/address-set.js';
import { MatcherHolder } from '../match/holder.js';
import { Matcher } from '../match/matcher.js';
import { Metrics } from '../metrics/registry.js';
import { SyncerHost } from '../sync/host.js';
import { RedisFollower } from '../sync/follower.js';
import { VersionGoneError, type RedisStore } from '../store/redis/index.js';
import type { CompiledSet } from '../match/compiled-set.js';
import { imageToSet, shareSet } from '../match/codec.js';
import { edgeMatcherOf, isEdgeGatewaySection } from '../match/edge/load.js';
import { isEdgeSection } from '../match/edge/records.js';
import type { SetImage } from '../store/types.js';
import { UsageError } from '../errors.js';
import type { Config } from '../config/load.js';
import { CONFIG_OPTION, parseCommandArgs } from './args.js';
import { loadRuntimeConfig, openStore, redactedConfig } from './runtime.js';

const LOOPBACK = ['127.0.0.0/8', '::1/128'];

/** all: one process does everything; syncer: fetches and writes versions; gateway: serves them. */
export type Role = 'all' | 'syncer' | 'gateway';

/** A running gateway, for tests and for the signal handlers. */
export interface Gateway {
  dnsPorts: number[];
  /** How DNS reads and writes UDP: `batched` on the helper built at install, `node` without it. */
  dnsUdp: 'batched' | 'node';
  /** With `dns.workers` above 1: threads sharing one set, or processes holding a copy each. */
  dnsWorkers?: 'threads' | 'processes';
  httpPort: number;
  holder: MatcherHolder;
  syncer?: SyncerHost;
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** `sluice serve`: DNS, HTTP and the syncer in one process, until SIGINT or SIGTERM. */
export async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs('serve', args, { ...CONFIG_OPTION, role: { type: 'string', default: 'all' } });
  const role = values.role as string;
  if (role !== 'all' && role !== 'syncer' && role !== 'gateway') throw new UsageError(`sluice serve: --role is all, syncer or gateway, not ${role}`);
  const { config, logger } = loadRuntimeConfig(values.config);
  if (role !== 'all' && config.store !== 'redis') throw new UsageError(`sluice serve: --role ${role} needs store: redis (gateways and syncers share versions there)`);
  // Only a gateway follows with the edge memory mode; a syncer or an all-in-one process ignores it.
  if (role === 'gateway' && config.redis.gateway.memory === 'edge' && config.dns.workers > 1) {
    throw new UsageError('sluice serve: an edge gateway (redis.gateway.memory: edge) runs one DNS process; set dns.workers: 1 and run more gateways instead');
  }
  logger.info({ config: redactedConfig(config) }, 'starting sluice');
  if (config.dns.listen.length && config.dns.allow_clients.some((c) => /^(0\.0\.0\.0|::)\/0$/.test(c))) {
    logger.warn({ allow_clients: config.dns.allow_clients }, 'dns.allow_clients admits every address: an open resolver can be abused for amplification attacks');
  }

  const gateway = await startGateway(config, logger, role);
  logger.info({ dns: gateway.dnsPorts, dns_udp: gateway.dnsUdp, ...(gateway.dnsWorkers ? { dns_workers: gateway.dnsWorkers } : {}), http: gateway.httpPort }, 'listening');
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'stopping');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await gateway.stop();
  return 0;
}

/**
 * Wires the gateway together:
 *
 *   syncer thread: snapshot + cached feed bodies ─► first set (before any socket opens)
 *   DNS and HTTP listeners                       ─► answer from whatever set is current
 *   syncer thread: fetch, parse, merge, compile  ─► new sets, swapped in whole
 *
 * The syncer has a thread of its own so that building a large set never delays an answer.
 */
export async function startGateway(config: Config, logger: Logger, role: Role = 'all'): Promise<Gateway> {
  const metrics = new Metrics({ processMetrics: true, part: 'gateway' });
  const holder = new MatcherHolder();
  // A syncer answers no DNS: it fetches and writes versions for the gateways.
  if (role === 'syncer') config = { ...config, dns: { ...config.dns, listen: [] } };
  // Can refuse the config; opens nothing yet (sinks connect on their first send).
  const events = createEventBus(config.events, metrics.eventCounts, logger.child({ component: 'events' }));

  // Everything that can refuse the config is built before the syncer thread exists, so a
  // refusal ends the process instead of leaving a thread behind that keeps it alive.
  // One thread answers DNS; or, with more workers, threads beside it that share its port and
  // read the same set in shared memory; or, where threads cannot share a UDP port (Node's own
  // socket), worker processes that each hold a copy.
  const dnsLogger = logger.child({ component: 'dns' });
  // Workers only where DNS listens at all (a syncer, or `dns.listen: []`, answers none).
  const workers = config.dns.listen.length > 0 && config.dns.workers > 1;
  const useThreads = workers && config.dns.udp_io === 'auto' && batchUdp() !== undefined;
  const threads = useThreads ? new DnsThreadPool(config, config.dns.workers - 1, dnsLogger) : undefined;
  const pool = workers && !useThreads ? new DnsWorkerPool(config.file, config.dns.workers, dnsLogger) : undefined;
  const dnsStack = pool
    ? undefined
    : buildDnsStack(config, {
        holder,
        metrics,
        logger: dnsLogger,
        udpSharers: useThreads ? config.dns.workers : 1,
        ...(events ? { onHit: (hit: DnsHit) => events.emit(dnsHitEvent(hit)) } : {}),
      });
  const onSet = (set: CompiledSet) => {
    // Sets from the syncer thread come shared already; a follower's are copied once here.
    if (threads) {
      set = shareSet(set);
      holdSharedSet(set);
    }
    holder.swap(new Matcher(set));
    metrics.setLoaded(set.meta.version, set.meta.counts);
    pool?.broadcast(set);
    threads?.broadcast(set);
  };
  // A gateway of a scale-out follows the versions in Redis; every other role runs the syncer.
  const follower = role === 'gateway' ? followRedis(config, metrics, holder, onSet, logger.child({ component: 'store' })) : undefined;
  const syncer = follower
    ? undefined
    : new SyncerHost({
        config,
        logger: logger.child({ component: 'sync' }),
        onSet,
        onStoreState: (degraded) => metrics.storeDegraded.set(degraded ? 1 : 0),
        shareSets: useThreads,
      });
  const source = (follower ?? syncer)!;
  // Opened here so stop() can close it: a Redis connection left open keeps the process alive.
  const overrideStore = syncer ? openOverrides(config) : undefined;
  const httpLogger = logger.child({ component: 'http' });
  const grants = resolveTokens(config.http.tokens, process.env, (message) => httpLogger.warn(message));
  const http = buildApp({
    holder,
    metrics,
    logger: httpLogger,
    auth: new TokenAuth(grants, AddressSet.fromCidrs(LOOPBACK)),
    verdictAuth: config.http.verdict_auth,
    edl: config.edl,
    decay: decayModels(config),
    ...(follower ? { feedStatus: () => follower.feedStatus() } : {}),
    ...(syncer
      ? {
          feedStatus: () => syncer.status(),
          admin: {
            syncFeed: (name: string) => syncer.syncFeed(name),
            acceptFeed: (name: string) => syncer.acceptFeed(name),
            overrides: new OverrideAdmin(overrideStore!, () => syncer.reloadOverrides(), httpLogger),
          },
          moreMetrics: () => syncer.metricsText(),
        }
      : {}),
    ...(config.taxii_server.enabled ? { taxii: taxiiSettings(config) } : {}),
    ...(follower ? { storeDegraded: () => follower.degraded } : {}),
    // A syncer on Redis goes on fetching and serving while Redis is away, and says so.
    ...(syncer && config.store === 'redis' ? { storeDegraded: () => syncer.storeDegraded } : {}),
    ...(events ? { onHit: (hit: ForwardAuthHit) => events.emit(httpHitEvent(hit)) } : {}),
    forwardAuth: {
      check: config.forward_auth.check,
      trustedProxies: AddressSet.fromCidrs(config.forward_auth.trusted_proxies),
    },
    ...(pool || threads ? { gatewayMetrics: async () => (pool ?? threads)!.metricsText(await metrics.registry.getMetricsAsJSON()) } : {}),
  });

  let httpServer: Awaited<ReturnType<typeof listenHttp>> | undefined;
  let dnsPorts: number[] = [];
  try {
    // The saved set is published before any socket opens, so no query sees an empty gateway.
    await source.loadLocal();
    if (pool) dnsPorts = await pool.start();
    else {
      await dnsStack!.server.listen(config.dns.listen.map((l) => parseHostPort(l)!));
      dnsPorts = dnsStack!.server.bound.map((b) => b.port);
      await threads?.start(dnsPorts);
    }
    const { host, port } = parseHostPort(config.http.listen)!;
    httpServer = await listenHttp(http, host, port);
  } catch (err) {
    await threads?.stop();
    await dnsStack?.close();
    await pool?.stop();
    await source.stop();
    overrideStore?.close?.();
    await events?.close(1000);
    throw new SluiceError('SLUICE_ERR_LISTEN', `cannot listen: ${(err as Error).message}`, { cause: err });
  }

  const ready = source.run();
  return {
    dnsPorts,
    dnsUdp: pool ? pool.udpMode : dnsStack!.server.udpMode,
    ...(threads ? { dnsWorkers: 'threads' as const } : pool ? { dnsWorkers: 'processes' as const } : {}),
    httpPort: httpServer.port,
    holder,
    ...(syncer ? { syncer } : {}),
    ready,
    async stop() {
      await source.stop();
      overrideStore?.close?.();
      await threads?.stop();
      await dnsStack?.close();
      await pool?.stop();
      if (httpServer) await stopHttp(httpServer.server);
      await events?.close();
    },
  };
}

/**
 * A gateway's follower: full gateways load every section and get a set like the embedded
 * store's; edge gateways load the filter and ranges and confirm possible matches in Redis.
 */
function followRedis(config: Config, metrics: Metrics, holder: MatcherHolder, onSet: (set: CompiledSet) => void, logger: Logger): RedisFollower {
  const store = openStore(config) as RedisStore;
  const onDegraded = (degraded: boolean) => metrics.storeDegraded.set(degraded ? 1 : 0);
  const edge = config.redis.gateway;
  if (edge.memory === 'full') return new RedisFollower(store, (image) => onSet(imageToSet(image)), logger, (name) => !isEdgeSection(name), onDegraded);
  logger.info({ cache_size: edge.cache_size, unconfirmed: edge.unconfirmed }, 'edge gateway: Bloom filters in memory, matches confirmed in Redis');
  let follower: RedisFollower | undefined;
  const onImage = (image: SetImage) => {
    const version = image.meta.version;
    const fetch = (keys: string[]) =>
      store.records(version, keys).catch((err: Error) => {
        // The version was pruned under us (this gateway was paused or slow): move on at once.
        if (err instanceof VersionGoneError) follower?.refresh();
        throw err;
      });
    const matcher = edgeMatcherOf(image, { fetch }, {
      cacheSize: edge.cache_size,
      unconfirmed: edge.unconfirmed,
      onConfirm: (result, n) => n && metrics.edgeConfirmations.inc({ result }, n),
      onUnconfirmed: (policy) => metrics.edgeUnconfirmed.inc({ policy }),
    });
    holder.swap(matcher);
    const meta = image.meta as unknown as CompiledSet['meta'];
    metrics.setLoaded(meta.version, meta.counts);
  };
  follower = new RedisFollower(store, onImage, logger, isEdgeGatewaySection, onDegraded);
  return follower;
}

/**
 * The TAXII server's collections: the named lists it is told to share (all of them when it
 * names none), or one collection of everything enforced when no list is configured.
 */
function taxiiSettings(config: Config): TaxiiSettings {
  const wanted = config.taxii_server.collections;
  const lists = config.edl.filter((l) => wanted.length === 0 || wanted.includes(l.name));
  const collections = lists.length
    ? lists.map((l) => ({ id: collectionId(l.name), title: l.name, kinds: l.types, minScore: l.min_score, feeds: l.feeds, tags: l.tags }))
    : [{ id: collectionId('all'), title: 'every enforced indicator', kinds: ['ip', 'domain', 'url', 'hash'] as ListKind[], feeds: [], tags: [] }];
  return { title: config.taxii_server.title, collections };
}

/** TAXII collection ids are UUIDs: a stable one per list name. */
function collectionId(name: string): string {
  return stableUuid(`sluice-collection:${name}`);
}
