// The Redis store over each topology the config offers, each on redis-server processes this
// test starts on free loopback ports: TLS with a CA file and a password in the URL, a master
// found through Sentinel (and found again after a failover), and a three-node Cluster. Each
// writes a real compiled version with its index, reads it back whole and as an edge gateway
// reads it, and holds the syncer lease.
import t, { type Test } from 'tap';
import '../helpers/quiet.js';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { matcherFor } from '../helpers/feeds.js';
import { freePort, startRedis } from '../helpers/net.js';
import { RedisStore } from '../../src/store/redis/index.js';
import type { RedisSettings } from '../../src/store/redis/connect.js';
import { Lease } from '../../src/store/redis/lease.js';
import { imageToSet, setToStoredImage } from '../../src/match/codec.js';
import { edgeMatcherOf, isEdgeGatewaySection } from '../../src/match/edge/load.js';
import { Matcher } from '../../src/match/matcher.js';
import { parseQuery } from '../../src/match/query.js';
import { settled } from '../../src/match/settle.js';
import { decide } from '../../src/match/verdict.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const set = matcherFor([{ name: 'list', body: 'listed.example.com\n198.51.100.0/24\nhttps://bad.example.net/x\n', format: 'text' }]).set;
const ASKED = ['www.listed.example.com', '198.51.100.7', 'https://bad.example.net/x', 'clean.example.org'];

/** Writes the set through a store over `settings` and checks every way of reading it back. */
async function roundTrip(t: Test, settings: RedisSettings, prefix: string): Promise<void> {
  const store = new RedisStore(settings, prefix);
  t.teardown(() => store.close());
  await store.ready(10_000);
  const version = await store.nextVersion();
  const image = setToStoredImage(set);
  image.meta = { ...image.meta, version };
  await store.save(image);
  t.equal(await store.currentVersion(), version, 'the version is current');

  const whole = new Matcher(imageToSet((await store.load(version, (n) => !n.startsWith('edge.')))!));
  const edgeImage = (await store.load(version, isEdgeGatewaySection))!;
  const edge = edgeMatcherOf(edgeImage, { fetch: (keys) => store.records(version, keys) }, { cacheSize: 100, unconfirmed: 'allow' });
  const verdicts = await Promise.all(
    ASKED.map(async (value) => {
      const query = parseQuery(value, 'value');
      return [decide(whole, query).verdict, (await settled(edge, () => decide(edge, query))).verdict];
    }),
  );
  t.same(verdicts, [['block', 'block'], ['block', 'block'], ['block', 'block'], ['allow', 'allow']], 'full and edge readers agree');

  const lease = new Lease(settings, prefix, 2_000);
  await lease.acquire(() => undefined);
  t.ok(lease.id, 'the syncer lease is taken');
  lease.stop();
}

t.test('TLS with a CA file and a password in the URL', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-redis-tls-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=sluice test CA', '-keyout', 'ca.key', '-out', 'ca.pem');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.ext', '-out', 'server.pem');
  const port = await freePort();
  await startRedis(t, 0, [
    '--tls-port', String(port),
    '--tls-cert-file', join(dir, 'server.pem'),
    '--tls-key-file', join(dir, 'server.key'),
    '--tls-ca-cert-file', join(dir, 'ca.pem'),
    '--tls-auth-clients', 'no',
    '--requirepass', 'tls-test-secret',
  ]);
  await roundTrip(t, { url: `rediss://:tls-test-secret@127.0.0.1:${port}/0`, tls: { ca_file: join(dir, 'ca.pem') } }, 'tls:');

  const untrusting = new RedisStore({ url: `rediss://:tls-test-secret@127.0.0.1:${port}/0` }, 'tls:');
  t.teardown(() => untrusting.close());
  await t.rejects(untrusting.ready(1_500), /not reachable/, 'without the CA the server is not trusted');
});

t.test('a password-protected master found through Sentinel, and found again after a failover', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-redis-sentinel-'));
  const [master, replica, sentinel] = [await freePort(), await freePort(), await freePort()];
  const auth = ['--requirepass', 'sentinel-secret', '--masterauth', 'sentinel-secret'];
  await startRedis(t, master, ['--repl-diskless-sync-delay', '0', ...auth]);
  await startRedis(t, replica, ['--replicaof', '127.0.0.1', String(master), '--repl-diskless-load', 'on-empty-db', '--dir', dir, ...auth]);
  writeFileSync(
    join(dir, 'sentinel.conf'),
    [
      `port ${sentinel}`,
      'bind 127.0.0.1',
      `dir ${dir}`,
      `sentinel monitor testmaster 127.0.0.1 ${master} 1`,
      'sentinel auth-pass testmaster sentinel-secret',
      'sentinel down-after-milliseconds testmaster 1000',
      'sentinel failover-timeout testmaster 5000',
    ].join('\n'),
  );
  const s = spawn('redis-sentinel', [join(dir, 'sentinel.conf')], { stdio: 'ignore' });
  t.teardown(() => void s.kill('SIGKILL'));
  await sleep(1_500);

  // The master's password, from the URL, as for a single server.
  const settings: RedisSettings = { url: 'redis://:sentinel-secret@ignored/0', sentinel: { name: 'testmaster', nodes: [`127.0.0.1:${sentinel}`] } };
  await roundTrip(t, settings, 'sentinel:');

  // Failover once the replica holds what was written: the replica becomes master, and the
  // store follows Sentinel there and writes on.
  const replicaServer = new Redis({ port: replica, host: '127.0.0.1', password: 'sentinel-secret' });
  t.teardown(() => replicaServer.disconnect());
  let synced = false;
  for (let i = 0; i < 100 && !synced; i++) {
    synced = (await replicaServer.get('sentinel:current')) === '1';
    if (!synced) await sleep(100);
  }
  t.ok(synced, 'the replica holds version 1');
  const admin = new Redis({ port: sentinel, host: '127.0.0.1' });
  t.teardown(() => admin.disconnect());
  await admin.call('SENTINEL', 'FAILOVER', 'testmaster');
  let promoted = false;
  for (let i = 0; i < 100 && !promoted; i++) {
    await sleep(100);
    const addr = (await admin.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'testmaster')) as string[];
    promoted = Number(addr[1]) === replica;
  }
  t.ok(promoted, 'sentinel promoted the replica');
  const store = new RedisStore(settings, 'sentinel:');
  t.teardown(() => store.close());
  await store.ready(10_000);
  let written = 0;
  for (let i = 0; i < 50 && !written; i++) {
    try {
      const v = await store.nextVersion();
      await store.save({ ...setToStoredImage(set), meta: { ...set.meta, version: v } as never });
      written = v;
    } catch {
      await sleep(200); // the old master steps down while the store reconnects
    }
  }
  t.ok(written > 0, `version ${written} is written after the failover`);
  t.equal(written, 2, 'numbered after the version written before the failover');
  t.equal(Number(await replicaServer.get('sentinel:current')), written, 'on the promoted server, where it is current');
});

t.test('a three-node Redis Cluster with a password, keys under one hash tag', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-redis-cluster-'));
  const ports = [await freePort(), await freePort(), await freePort()];
  const auth = ['--requirepass', 'cluster-secret', '--masterauth', 'cluster-secret'];
  for (const port of ports) {
    await startRedis(t, port, ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--dir', dir, ...auth]);
  }
  const cli = ['--no-auth-warning', '-a', 'cluster-secret'];
  execFileSync('redis-cli', [...cli, '--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    const info = execFileSync('redis-cli', [...cli, '-p', String(ports[0]), 'cluster', 'info'], { encoding: 'utf8' });
    if (info.includes('cluster_state:ok')) break;
    await sleep(200);
  }
  // The password in the URL holds for every node the cluster client finds.
  await roundTrip(t, { url: 'redis://:cluster-secret@ignored/0', cluster: { nodes: ports.map((p) => `127.0.0.1:${p}`) } }, '{sluice-test}:');
});
