// Two syncers on one Redis: one holds the lease and writes; when it dies the other takes over
// within the lease time, and a writer without the lease is fenced off.
import t from 'tap';
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DnsStub } from '../helpers/dns-stub.js';
import { dig, serve, type Served } from '../helpers/cli.js';
import { RedisStore } from '../../src/store/redis/index.js';
import { freePort, startRedis } from '../helpers/net.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const blocks = async (gw: Served, name: string) => (await dig(gw.dnsPort, ['+tries=1', '+time=1', name, 'A'])).includes('sluice.invalid');

t.test('the standby syncer takes over within the lease time; versions only go forward', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-failover-'));
  const redisPort = await freePort();
  await startRedis(t, redisPort);
  const upstream = new DnsStub({});
  await upstream.start();
  t.teardown(() => upstream.stop());
  writeFileSync(join(dir, 'list.txt'), 'one.example.org\n');
  const url = `redis://127.0.0.1:${redisPort}/0`;
  writeFileSync(
    join(dir, 'sluice.yaml'),
    [
      'data_dir: ./data',
      'store: redis',
      `redis: { url: "${url}", prefix: "sluice-failover:", lease: 2s }`,
      `dns: { listen: ["127.0.0.1:0"], upstream: ["127.0.0.1:${upstream.port}"] }`,
      'http: { listen: "127.0.0.1:0" }',
      'feeds:',
      '  - { name: local, url: ./list.txt, format: text, interval: 1s }',
    ].join('\n'),
  );
  const config = join(dir, 'sluice.yaml');
  const syncers = [await serve(config, 20_000, ['--role', 'syncer']), await serve(config, 20_000, ['--role', 'syncer'])];
  for (const s of syncers) t.teardown(s.stop);
  const gateways = [];
  for (let i = 0; i < 3; i++) gateways.push(await serve(config, 20_000, ['--role', 'gateway']));
  for (const g of gateways) t.teardown(g.stop);
  const gateway = gateways[0]!;
  const all = async (name: string) => (await Promise.all(gateways.map((g) => blocks(g, name)))).every(Boolean);
  for (let i = 0; i < 100 && !(await all('one.example.org')); i++) await sleep(100);
  t.ok(await all('one.example.org'), 'a version was written and all three gateways serve it');

  const leaders = () => syncers.filter((s) => s.stderr().includes('holding the syncer lease'));
  t.equal(leaders().length, 1, 'exactly one syncer holds the lease');
  const leader = leaders()[0]!;
  const standby = syncers.find((s) => s !== leader)!;
  t.match(standby.stderr(), /standing by/);

  const store = new RedisStore({ url }, 'sluice-failover:');
  t.teardown(() => store.close());
  await store.ready();

  // A change reaches all three gateways within a second of the syncer writing it.
  const v0 = (await store.currentVersion())!;
  writeFileSync(join(dir, 'list.tmp'), 'one.example.org\nzero.example.org\n');
  renameSync(join(dir, 'list.tmp'), join(dir, 'list.txt'));
  for (let i = 0; i < 200 && (await store.currentVersion()) === v0; i++) await sleep(10);
  const written = performance.now();
  for (let i = 0; i < 100 && !(await all('zero.example.org')); i++) await sleep(10);
  const spread = performance.now() - written;
  t.ok((await all('zero.example.org')) && spread < 1000, `all three gateways serve it ${Math.round(spread)} ms after it was written`);

  const before = (await store.currentVersion())!;

  leader.child.kill('SIGKILL');
  const killed = performance.now();
  writeFileSync(join(dir, 'list.tmp'), 'one.example.org\ntwo.example.org\n');
  renameSync(join(dir, 'list.tmp'), join(dir, 'list.txt'));
  for (let i = 0; i < 150 && !(await blocks(gateway, 'two.example.org')); i++) await sleep(50);
  const tookOver = performance.now() - killed;
  t.ok(await blocks(gateway, 'two.example.org'), 'the change was published by the standby');
  t.match(standby.stderr(), /holding the syncer lease/);
  // Lease 2 s, then one feed interval (1 s) and a rebuild.
  t.ok(tookOver < 2000 + 1000 + 2000, `taken over and published ${Math.round(tookOver)} ms after the leader died`);
  const after = (await store.currentVersion())!;
  t.ok(after > before, `versions only go forward (${before} to ${after})`);
  t.ok(await all('two.example.org'), 'every gateway serves the standby\'s version');

  // A writer that does not hold the lease cannot make its version current.
  store.leaseId = 'a-stale-leader';
  const image = (await store.load(after))!;
  await t.rejects(store.save({ ...image, meta: { ...image.meta, version: after + 100 } }), /no longer holds the lease/);
  t.equal(await store.currentVersion(), after, 'current is unchanged');
  // Nor write over a version the new leader wrote under the same id (it numbered its own
  // locally while cut off): nothing of the stale writer's lands.
  const stale = { ...image, sections: { ...image.sections, scores: new Uint8Array(image.sections.scores!.length).fill(1) } };
  await t.rejects(store.save({ ...stale, meta: { ...image.meta, version: after, createdAt: 1 } }), /no longer holds the lease/);
  const kept = (await store.load(after))!;
  t.same([kept.meta.createdAt, [...kept.sections.scores!]], [image.meta.createdAt, [...image.sections.scores!]], 'the version under that id is untouched');
});
