import { SluiceError, UsageError } from '../errors.js';
import { Lease } from '../store/redis/lease.js';
import { RedisStore } from '../store/redis/index.js';
import { closeHttp, useFeedResolvers } from '../feeds/fetch/index.js';
import { resolverAddresses } from '../sync/resolvers.js';
import { Metrics } from '../metrics/registry.js';
import { Syncer } from '../sync/syncer.js';
import { CONFIG_OPTION, parseCommandArgs } from './args.js';
import { loadRuntimeConfig, openStore } from './runtime.js';

/**
 * `sluice sync --once`: fetches every feed, writes one set version, prints each feed's state.
 * Exits 1 when any feed failed (the set is still written from the feeds that worked and the
 * last good data of those that did not), so a cron job notices.
 */
export async function syncCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs('sync', args, { ...CONFIG_OPTION, once: { type: 'boolean', default: false } });
  if (!values.once) throw new UsageError('sluice sync: pass --once (continuous syncing runs in sluice serve)');
  const { config, logger } = loadRuntimeConfig(values.config);

  useFeedResolvers(resolverAddresses(config.dns.upstream));
  const store = openStore(config);
  const lease = store instanceof RedisStore ? await takeLease(store, config.redis.lease) : undefined;
  const syncer = new Syncer({ config, store, metrics: new Metrics(), logger: logger.child({ component: 'sync' }), onSet: () => undefined });
  try {
    const { version, failed } = await syncer.runOnce();
    for (const f of syncer.status()) {
      const counts = `${f.entries} entries, ${f.invalid.count} invalid, ${f.skipped.count} skipped, ${f.quarantined.count} held by guards`;
      const detail = f.state === 'ok' ? counts : f.state === 'held' ? `update held back: ${f.heldUpdate?.reason}; serving ${counts}` : f.lastError;
      process.stdout.write(`${f.name.padEnd(24)} ${f.state.padEnd(8)} ${detail ?? ''}\n`);
    }
    process.stdout.write(version === undefined ? 'no set written: no feed has data\n' : `set version ${version} written\n`);
    return failed > 0 || version === undefined ? 1 : 0;
  } finally {
    await syncer.stop();
    await lease?.release();
    await closeHttp();
    await store.close();
  }
}

/**
 * With Redis, one syncer writes versions: a one-off sync takes the lease for its run, or
 * refuses while a running syncer holds it (its versions would race this one's).
 */
async function takeLease(store: RedisStore, ttlMs: number): Promise<Lease> {
  const lease = new Lease(store.settings, store.prefix, ttlMs);
  try {
    await store.ready();
    if (!(await lease.tryAcquire())) {
      throw new SluiceError('SLUICE_ERR_CONFLICT', 'another syncer holds the lease in Redis and writes the versions; ask it to sync a feed with POST /v1/feeds/NAME/sync');
    }
  } catch (err) {
    lease.stop();
    await store.close();
    throw err;
  }
  lease.keep(() => undefined);
  store.leaseId = lease.id;
  return lease;
}
