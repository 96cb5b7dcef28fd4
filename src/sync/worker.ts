import { parentPort, workerData } from 'node:worker_threads';
import { closeHttp, useFeedResolvers } from '../feeds/fetch/index.js';
import { resolverAddresses } from './resolvers.js';
import { rootLogger, setLogLevel } from '../log.js';
import { setToImage, shareSet } from '../match/codec.js';
import { Metrics } from '../metrics/registry.js';
import { openStore } from '../store/open.js';
import { Lease } from '../store/redis/lease.js';
import { RedisStore } from '../store/redis/index.js';
import type { FromSyncer, SyncerWorkerData, ToSyncer } from './messages.js';
import { Syncer } from './syncer.js';

/**
 * The syncer thread: fetching, parsing, merging and compiling run here, so a large feed update
 * never holds up a DNS answer. Each new set is written to the store, then its memory is handed
 * to the gateway thread whole (transferred, not copied).
 */
const port = parentPort!;
const { config, shareSets } = workerData as SyncerWorkerData;
setLogLevel(config.log.level);
useFeedResolvers(resolverAddresses(config.dns.upstream));

const send = (message: FromSyncer, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
const metrics = new Metrics({ part: 'syncer' });
const store = openStore(config);
const syncer = new Syncer({
  config,
  store,
  metrics,
  logger: rootLogger().child({ component: 'sync' }),
  onSet: (set, handover) => {
    // With DNS threads the set goes into shared memory here, so that the copy is made off the
    // thread that answers queries and every DNS thread then reads that one copy.
    const image = setToImage(shareSets ? shareSet(set) : set);
    // A set this thread is done with moves without a copy; one it still reads is copied.
    const buffers = handover && !shareSets ? [...new Set(Object.values(image.sections).map((s) => s.buffer as ArrayBuffer))] : [];
    send({ type: 'set', meta: image.meta, sections: image.sections }, buffers);
  },
  onStoreState: (failed) => {
    unsaved = failed;
    reportStore();
  },
  onStatus: (feeds) => {
    send({ type: 'status', feeds });
    // Gateways show the leader's feed status; a standby's would be stale.
    if (leading && store instanceof RedisStore) void store.writeFeedStatus(feeds).catch(() => undefined);
  },
});

port.on('message', (message: ToSyncer) => {
  switch (message.type) {
    case 'start':
      if (store instanceof RedisStore) {
        // Many syncers may run; one writes. The gateway side need not wait for the lease.
        send({ type: 'loaded' });
        watchStore(store);
        void leadThenRun(store);
        return;
      }
      void syncer.loadLocal().then(async () => {
        send({ type: 'loaded' });
        await syncer.run();
        send({ type: 'ran' });
      });
      return;
    case 'sync':
      void syncer.syncFeed(message.feed).then((value) => send({ type: 'reply', id: message.id, value }));
      return;
    case 'accept':
      void syncer.acceptHeld(message.feed).then((value) => send({ type: 'reply', id: message.id, value }));
      return;
    case 'overrides':
      void syncer.reloadOverrides().then((value) => send({ type: 'reply', id: message.id, value }));
      return;
    case 'metrics':
      void metrics.registry.metrics().then((value) => send({ type: 'reply', id: message.id, value }));
      return;
    case 'stop':
      // Given up once the syncer is done writing, so a standby takes over at once.
      void syncer
        .stop()
        .then(() => heldLease?.release())
        .then(() => Promise.all([closeHttp(), store.close()]))
        .finally(() => {
          send({ type: 'stopped' });
          port.close();
        });
  }
});

/**
 * Degraded while the newest version is not in the store, or Redis does not answer (checked
 * every few seconds, so an idle syncer notices too, leader or standby).
 */
let unsaved = false;
let unreachable = false;
let reported = false;
function reportStore(): void {
  const degraded = unsaved || unreachable;
  if (degraded !== reported) send({ type: 'store', degraded });
  reported = degraded;
}

/** How often a syncer checks that Redis answers, and the leader that it still holds its version. */
const STORE_CHECK_MS = 3_000;

/** The lease this thread holds or waits for; stopped with the thread. */
let heldLease: Lease | undefined;
/** True once this thread holds the lease. */
let leading = false;
/** True once the leader wrote its first versions: from then on it checks they are still there. */
let guarding = false;

/** Waits for the syncer lease, then syncs; a syncer that loses it stops, and is restarted to wait again. */
async function leadThenRun(redis: RedisStore): Promise<void> {
  const log = rootLogger().child({ component: 'sync' });
  const lease = new Lease(redis.settings, redis.prefix, config.redis.lease);
  heldLease = lease;
  redis.leaseId = lease.id;
  await lease.acquire(() => log.info('another syncer holds the lease; standing by'));
  log.info({ lease: lease.id }, 'holding the syncer lease: this syncer writes versions');
  leading = true;
  lease.keep(() => {
    log.error('lost the syncer lease; stopping so another syncer can write');
    process.exit(1); // ends this thread only; the host starts a new one, which stands by
  });
  await syncer.loadLocal();
  await syncer.run();
  send({ type: 'ran' });
  guarding = true;
}

/**
 * Every few seconds: does Redis answer (degraded while not, leader or standby), and, on the
 * leader, does it still hold the version written? A Redis without persistence comes back empty
 * after a restart, and anyone can FLUSHALL: then gateways have nothing to load and nothing to
 * confirm against, so the leader writes the set again.
 */
function watchStore(redis: RedisStore): void {
  const log = rootLogger().child({ component: 'sync' });
  let republishing = false;
  const timer = setInterval(async () => {
    let current: number | undefined;
    try {
      current = await redis.currentVersion();
      unreachable = false;
    } catch {
      unreachable = true; // the save retry writes when it is back
      return;
    } finally {
      reportStore();
    }
    if (!guarding || republishing || redis.written === 0) return;
    if (current !== undefined && (await redis.load(current, () => false).catch(() => null)) !== undefined) return;
    republishing = true;
    log.warn({ current: current ?? null, written: redis.written }, 'redis lost the current version (restarted empty or flushed); writing the set again');
    syncer
      .republish()
      .catch((err: Error) => log.error({ err: err.message }, 'cannot write the set again'))
      .finally(() => (republishing = false));
  }, STORE_CHECK_MS);
  timer.unref();
}
