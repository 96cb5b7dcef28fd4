import type { ChildProcess } from 'node:child_process';
import { RedisStore } from '../../src/store/redis/index.js';
import { freePort, startRedis } from './net.js';

/**
 * A RedisStore on a redis-server of the test's own (free loopback port, database 0, keys
 * under `prefix`), ready for use; the store is closed and the server killed by teardown.
 */
export async function ownRedisStore(t: { teardown: (fn: () => unknown) => void }, prefix: string): Promise<{ store: RedisStore; redis: ChildProcess; port: number }> {
  const port = await freePort();
  const redis = await startRedis(t, port);
  const store = new RedisStore({ url: `redis://127.0.0.1:${port}/0` }, prefix);
  t.teardown(() => store.close());
  await store.ready();
  return { store, redis, port };
}
