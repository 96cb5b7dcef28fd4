// The Redis store against a redis-server this test starts (with a password): versions are
// written whole, current never goes backwards, old versions are pruned.
import t from 'tap';
import { Redis } from 'ioredis';
import { RedisStore, VersionGoneError } from '../../src/store/redis/index.js';
import { Lease } from '../../src/store/redis/lease.js';
import { freePort, startRedis } from '../helpers/net.js';
import { ownRedisStore } from '../helpers/redis-store.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const image = (version: number, fill: number) => ({
  meta: { version, createdAt: version },
  sections: { a: new Uint8Array([fill, fill + 1, fill + 2]), b: new Uint8Array(new Float64Array([fill]).buffer) },
});

t.test('versions in Redis, with a password from the environment', async (t) => {
  const port = await freePort();
  await startRedis(t, port, ['--requirepass', 'test-redis-secret']);
  process.env.SLUICE_TEST_REDIS_PASSWORD = 'test-redis-secret';
  const url = `redis://127.0.0.1:${port}/0`;

  const wrong = new RedisStore({ url }, 't:');
  t.teardown(() => wrong.close());
  await t.rejects(wrong.nextVersion(), /redis nextVersion/, 'without the password, a clear store error');

  const store = new RedisStore({ url, password_env: 'SLUICE_TEST_REDIS_PASSWORD' }, 't:');
  t.teardown(() => store.close());
  await store.ready();
  t.equal(await store.loadLatest(), undefined, 'nothing yet');
  for (let v = 1; v <= 5; v++) {
    t.equal(await store.nextVersion(), v);
    await store.save(image(v, v * 10));
  }
  const latest = (await store.loadLatest())!;
  t.equal(latest.meta.version, 5);
  t.same([...latest.sections.a!], [50, 51, 52], 'sections come back byte for byte');
  t.equal(new Float64Array(latest.sections.b!.buffer)[0], 50, 'aligned for typed-array views');
  t.equal(await store.load(2), undefined, 'versions older than the last 3 are pruned');
  t.ok(await store.load(3), 'the last 3 are kept');

  const slow = await store.nextVersion();
  const fast = await store.nextVersion();
  await store.save(image(fast, 70));
  await store.save(image(slow, 60));
  t.equal(await store.currentVersion(), fast, 'a slow writer of an older version does not move current back');

  await store.save(image(fast, 99));
  t.same([...(await store.load(fast))!.sections.a!], [70, 71, 72], 'a version id written before is never overwritten');
  t.equal(await store.currentVersion(), fast + 1, 'the second writer of an id gets the next one');

  const seen: number[] = [];
  store.watch((v) => seen.push(v), () => undefined);
  await sleep(200);
  await store.save(image(await store.nextVersion(), 60));
  await sleep(300);
  t.same(seen, [fast + 1, fast + 2], 'watchers hear the current version, then each new one');
});

t.test('the syncer lease survives an outage and ends only when another syncer holds it', async (t) => {
  const port = await freePort();
  const redis = await startRedis(t, port);
  const url = `redis://127.0.0.1:${port}/0`;
  const lease = new Lease({ url }, 'lease-test:', 1_500);
  t.teardown(() => lease.stop());
  await lease.acquire(() => undefined);
  let lost = 0;
  lease.keep(() => lost++);

  redis.kill('SIGKILL');
  await sleep(2_000);
  t.equal(lost, 0, 'Redis away for longer than the lease: still leading (writes stay fenced)');

  await startRedis(t, port);
  const probe = new Redis(url);
  t.teardown(() => probe.disconnect());
  let holder: string | null = null;
  for (let i = 0; i < 40 && holder !== lease.id; i++) {
    await sleep(100);
    holder = await probe.get('lease-test:lease').catch(() => null);
  }
  t.equal(holder, lease.id, 'Redis back empty: the lease is taken again');

  await probe.set('lease-test:lease', 'another-syncer', 'PX', 5_000);
  for (let i = 0; i < 40 && lost === 0; i++) await sleep(100);
  t.equal(lost, 1, 'another syncer holding it ends this one, once');
});

t.test('a version superseded moments ago is kept for gateways still on it, up to a bound', async (t) => {
  const { store } = await ownRedisStore(t, 'grace:');
  const now = Math.floor(Date.now() / 1000);
  for (let v = 1; v <= 12; v++) {
    await store.save({ meta: { version: await store.nextVersion(), createdAt: now }, sections: { a: new Uint8Array([v]) } });
  }
  t.ok(await store.load(3), 'superseded seconds ago: kept, although older than the newest 3');
  t.equal(await store.load(2), undefined, 'but never more than 10 versions');
  t.ok(await store.load(12), 'the current one');
  await t.rejects(store.records(1, ['a.example']), VersionGoneError, 'asking a pruned version for records says it is gone, never "not listed"');
});

t.test('a syncer takes a free lease at once and gives it up on a clean stop', async (t) => {
  const port = await freePort();
  await startRedis(t, port);
  const url = `redis://127.0.0.1:${port}/0`;
  const first = new Lease({ url }, 'release-test:', 30_000);
  let waited = false;
  const started = performance.now();
  await first.acquire(() => (waited = true));
  t.notOk(waited, 'no "standing by" while merely connecting');
  t.ok(performance.now() - started < 2_000, `taken in ${Math.round(performance.now() - started)} ms, not a third of the lease`);
  await first.release();
  const second = new Lease({ url }, 'release-test:', 30_000);
  t.teardown(() => second.stop());
  const handover = performance.now();
  await second.acquire(() => undefined);
  t.ok(performance.now() - handover < 2_000, 'released: the next syncer takes it at once, not after 30 s');
});
