// Scale-out on a real Redis (a redis-server this test starts on a free loopback port): one
// syncer writes versions, three gateways serve them (two full, one of them with two DNS
// threads, and one edge that keeps only the Bloom filter), a change reaches all within a second, and a gateway that loses Redis keeps
// answering from the version it holds.
import t from 'tap';
import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { DnsStub } from '../helpers/dns-stub.js';
import { dig, serve, type Served } from '../helpers/cli.js';
import { freePort, startRedis } from '../helpers/net.js';


const TOKEN = 'scaleout-test-admin-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const blocks = async (gw: Served, name: string) => (await dig(gw.dnsPort, ['+tries=1', '+time=1', name, 'A'])).includes('sluice.invalid');

t.test('one syncer, three gateways, one Redis', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-redis-'));
  const redisPort = await freePort();
  const redis = await startRedis(t, redisPort);
  const upstream = new DnsStub({ 'ok.example.net': { A: '192.0.2.10' } });
  await upstream.start();
  t.teardown(() => upstream.stop());

  writeFileSync(join(dir, 'list.txt'), 'first.example.org\n');
  writeFileSync(
    join(dir, 'sluice.yaml'),
    [
      'data_dir: ./data',
      'store: redis',
      `redis: { url: "redis://127.0.0.1:${redisPort}/0", prefix: "sluice-test:" }`,
      `dns: { listen: ["127.0.0.1:0"], upstream: ["127.0.0.1:${upstream.port}"] }`,
      `http: { listen: "127.0.0.1:0", tokens: [{ name: ops, token: "${TOKEN}", scopes: [admin] }] }`,
      'feeds:',
      '  - { name: local, url: ./list.txt, format: text, interval: 1s }',
    ].join('\n'),
  );
  const config = join(dir, 'sluice.yaml');
  const edgeConfig = join(dir, 'edge.yaml');
  writeFileSync(
    edgeConfig,
    readFileSync(config, 'utf8').replace('prefix: "sluice-test:" }', 'prefix: "sluice-test:", gateway: { memory: edge, cache_size: 1000 } }'),
  );
  // A full gateway with DNS threads: a set read from Redis goes into shared memory for both.
  const threadedConfig = join(dir, 'threaded.yaml');
  writeFileSync(threadedConfig, readFileSync(config, 'utf8').replace(`upstream: ["127.0.0.1:${upstream.port}"] }`, `upstream: ["127.0.0.1:${upstream.port}"], workers: 2 }`));
  const syncer = await serve(config, 20_000, ['--role', 'syncer']);
  t.teardown(syncer.stop);
  t.same(syncer.dnsPort, undefined, 'a syncer answers no DNS');
  const gateways = [
    await serve(config, 20_000, ['--role', 'gateway']),
    await serve(threadedConfig, 20_000, ['--role', 'gateway']),
    await serve(edgeConfig, 20_000, ['--role', 'gateway']),
  ];
  const edge = gateways[2]!;
  for (const gw of gateways) t.teardown(gw.stop);

  for (let i = 0; i < 100 && !(await Promise.all(gateways.map((g) => blocks(g, 'first.example.org')))).every(Boolean); i++) await sleep(100);
  t.same(await Promise.all(gateways.map((g) => blocks(g, 'www.first.example.org'))), [true, true, true], 'every gateway serves the set the syncer wrote');

  // The edge gateway answers verdicts from its filter and Redis, and lists nothing itself.
  const verdict = async (name: string) =>
    ((await (await fetch(`http://127.0.0.1:${edge.httpPort}/v1/verdict?domain=${name}`)).json()) as { verdict: string; match: { indicator: string } | null });
  t.match(await verdict('a.b.first.example.org'), { verdict: 'block', match: { indicator: 'first.example.org' } }, 'edge: verdict with the matched entry');
  t.match(await verdict('example.org'), { verdict: 'allow', match: null }, 'edge: a parent of a listed name is not blocked');
  const list = await fetch(`http://127.0.0.1:${edge.httpPort}/edl/domain.txt`);
  t.equal(list.status, 404, 'edge: lists are refused');
  t.match(await list.text(), /memory: edge/, 'with the reason');
  const feedsOnGateway = (await (await fetch(`http://127.0.0.1:${edge.httpPort}/v1/feeds`, { headers: auth })).json()) as { feeds: Array<{ name: string; state: string }> };
  t.match(feedsOnGateway.feeds, [{ name: 'local', state: 'ok' }], "gateways show the leading syncer's feed status from Redis");

  // A change: measured from the moment the syncer has published it to both gateways blocking.
  const version = async () => ((await (await fetch(`http://127.0.0.1:${syncer.httpPort}/readyz`)).json()) as { version: number }).version;
  const before = await version();
  writeFileSync(join(dir, 'list.tmp'), 'first.example.org\nsecond.example.org\n');
  renameSync(join(dir, 'list.tmp'), join(dir, 'list.txt'));
  for (let i = 0; i < 200 && (await version()) === before; i++) await sleep(20);
  const written = performance.now();
  t.ok((await version()) > before, 'the syncer wrote a new version');
  let delay = Infinity;
  for (let i = 0; i < 100; i++) {
    if ((await Promise.all(gateways.map((g) => blocks(g, 'second.example.org')))).every(Boolean)) {
      delay = performance.now() - written;
      break;
    }
    await sleep(20);
  }
  t.ok(delay < 1000, `all three gateways serve the new version ${Math.round(delay)} ms after it was written`);
  const threaded = gateways[1]!;
  if (threaded.stderr().includes('"dns_workers":"threads"')) {
    const answers = await Promise.all(Array.from({ length: 12 }, () => blocks(threaded, 'second.example.org')));
    t.same(answers, Array(12).fill(true), 'every DNS thread of the threaded gateway has it');
  } else t.match(threaded.stderr(), /"dns_workers":"processes"/, 'without the helper, the threaded gateway runs worker processes');

  // Redis goes away in the middle of a steady, bounded load (3 clients, 90 queries in all, over
  // the three gateways): the gateways keep answering from what they hold.
  const outcomes: boolean[] = [];
  const client = async (c: number) => {
    for (let i = 0; i < 30; i++) {
      outcomes.push(await blocks(gateways[(c + i) % 3]!, i % 2 ? 'second.example.org' : 'www.first.example.org'));
      await sleep(20);
    }
  };
  const load = Promise.all([0, 1, 2].map(client));
  await sleep(200);
  redis.kill('SIGKILL');
  await load;
  t.equal(outcomes.filter((b) => !b).length, 0, `every one of ${outcomes.length} queries before and during the outage was answered with the block`);
  t.same(await Promise.all(gateways.map((g) => blocks(g, 'second.example.org'))), [true, true, true], 'blocked names stay blocked without Redis');
  for (const gw of [gateways[0]!, edge]) {
    t.match(await dig(gw.dnsPort, ['+tries=1', 'ok.example.net', 'A']), /192\.0\.2\.10/, 'and others still resolve');
    // The gateway notices when its next read of Redis fails; on a loaded machine that can
    // come a little after the load above ends.
    const readyz = async () => (await (await fetch(`http://127.0.0.1:${gw.httpPort}/readyz`)).json()) as { ready: boolean; degraded: boolean };
    let ready = await readyz();
    for (let i = 0; i < 50 && !ready.degraded; i++) {
      await sleep(100);
      ready = await readyz();
    }
    t.match(ready, { ready: true, degraded: true }, '/readyz: ready, degraded');
    t.match(await (await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`)).text(), /^sluice_store_degraded 1$/m, 'metrics: degraded');
  }

  // An idle syncer notices the outage too, before it has anything to write.
  let syncerDown = false;
  for (let i = 0; i < 80 && !syncerDown; i++) {
    syncerDown = ((await (await fetch(`http://127.0.0.1:${syncer.httpPort}/readyz`)).json()) as { degraded?: boolean }).degraded === true;
    if (!syncerDown) await sleep(100);
  }
  t.ok(syncerDown, 'the syncer says degraded while Redis is away, with nothing to write yet');

  // The syncer keeps fetching while Redis is away: a change made now is in its own set...
  writeFileSync(join(dir, 'list.tmp'), 'first.example.org\nsecond.example.org\nthird.example.org\n');
  renameSync(join(dir, 'list.tmp'), join(dir, 'list.txt'));
  const syncerVerdict = async () =>
    ((await (await fetch(`http://127.0.0.1:${syncer.httpPort}/v1/verdict?domain=third.example.org`)).json()) as { verdict: string }).verdict;
  let fetched = false;
  for (let i = 0; i < 50 && !fetched; i++) {
    await sleep(100);
    fetched = (await syncerVerdict()) === 'block';
  }
  t.ok(fetched, 'the syncer fetched a change while Redis was away');
  const syncerReady = async () => (await (await fetch(`http://127.0.0.1:${syncer.httpPort}/readyz`)).json()) as { ready: boolean; degraded: boolean };
  t.match(await syncerReady(), { ready: true, degraded: true }, 'the syncer says it cannot write: ready, degraded');
  t.match(await (await fetch(`http://127.0.0.1:${syncer.httpPort}/metrics`)).text(), /^sluice_store_degraded 1$/m, 'syncer metrics: degraded');

  // ...and reaches the gateways once Redis comes back (empty: no persistence), with no further change.
  await startRedis(t, redisPort);
  let caughtUp = false;
  for (let i = 0; i < 150 && !caughtUp; i++) {
    await sleep(100);
    caughtUp = (await Promise.all(gateways.map((g) => blocks(g, 'third.example.org')))).every(Boolean);
  }
  t.ok(caughtUp, 'after Redis returns, the change made during the outage reaches every gateway');
  t.match(await syncerReady(), { degraded: false }, 'the syncer wrote it: no longer degraded');
  for (const gw of gateways) {
    const back = (await (await fetch(`http://127.0.0.1:${gw.httpPort}/readyz`)).json()) as { degraded: boolean };
    t.equal(back.degraded, false, 'no longer degraded');
  }
  t.match(await (await fetch(`http://127.0.0.1:${edge.httpPort}/metrics`)).text(), /^sluice_edge_confirmations_total\{result="listed"\} [1-9]/m, 'edge: confirmations counted');

  // Redis loses everything (FLUSHALL) with no feed change to come: the syncer notices and
  // writes the set again, with the manual entries in force, and a new gateway can start on it.
  const manual = await fetch(`http://127.0.0.1:${syncer.httpPort}/v1/indicators`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ value: 'manual.example.org', action: 'block', reason: 'incident' }),
  });
  t.equal(manual.status, 201, 'a manual block entry');
  for (let i = 0; i < 100 && !(await blocks(gateways[0]!, 'manual.example.org')); i++) await sleep(100);
  const flusher = new Redis(`redis://127.0.0.1:${redisPort}/0`);
  t.teardown(() => flusher.disconnect());
  await flusher.flushall();
  let rewritten = false;
  for (let i = 0; i < 100 && !rewritten; i++) {
    await sleep(100);
    rewritten = (await flusher.get('sluice-test:current')) !== null;
  }
  t.ok(rewritten, 'after a FLUSHALL the syncer writes the set again');
  const late = await serve(edgeConfig, 20_000, ['--role', 'gateway']);
  t.teardown(late.stop);
  for (const gw of [...gateways, late]) {
    let both = false;
    for (let i = 0; i < 50 && !both; i++) {
      both = (await blocks(gw, 'a.third.example.org')) && (await blocks(gw, 'manual.example.org'));
      if (!both) await sleep(100);
    }
    t.ok(both, `gateway on ${gw.dnsPort}: listed and manual entries block after the FLUSHALL`);
  }
  const entries = (await (await fetch(`http://127.0.0.1:${syncer.httpPort}/v1/indicators`, { headers: auth })).json()) as { entries: Array<{ value: string }> };
  t.match(entries.entries, [{ value: 'manual.example.org' }], 'the manual entry is back in Redis');
});
