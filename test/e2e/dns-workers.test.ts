// DNS across cores: workers share the listeners, every one answers from the current set, and
// /metrics adds up what they all counted. On the batched helper they are threads beside the
// main thread, reading its set in shared memory; on Node's socket, processes of a cluster.
import t, { type Test } from 'tap';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { batchUdp } from '../../src/dns/batch-udp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DnsStub } from '../helpers/dns-stub.js';
import { dig, digStatus, serve } from '../helpers/cli.js';

/**
 * A folder with a one-name local feed, a stub upstream answering ok.example.net, and a config
 * whose dns section is `dns(upstreamPort)`; returns the folder.
 */
async function workspace(t: Test, dns: (upstream: number) => string, feed = ''): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-workers-'));
  writeFileSync(join(dir, 'list.txt'), 'bad.example.com\n');
  const upstream = new DnsStub({ 'ok.example.net': { A: '192.0.2.10' } });
  await upstream.start();
  t.teardown(() => upstream.stop());
  writeFileSync(
    join(dir, 'sluice.yaml'),
    ['data_dir: ./data', `dns: ${dns(upstream.port)}`, 'http: { listen: "127.0.0.1:0" }', 'feeds:', `  - { name: local, url: ./list.txt, format: text${feed} }`].join('\n'),
  );
  return dir;
}

// On the batched helper each thread binds its own socket to the port (SO_REUSEPORT); on Node's
// socket the cluster shares one. Both must spread queries and keep every worker current.
for (const udpIo of ['auto', 'node'] as const) t.test(`two DNS workers answer from the same, current set (udp_io ${udpIo})`, async (t) => {
  const dir = await workspace(
    t,
    (upstream) => `{ listen: ["127.0.0.1:0"], upstream: ["127.0.0.1:${upstream}"], workers: 2, udp_io: ${udpIo}, cache_size: 0, query_log: { path: ./queries.log } }`,
    ', interval: 1s',
  );
  const gw = await serve(join(dir, 'sluice.yaml'));
  t.teardown(gw.stop);
  t.match(gw.stderr(), new RegExp(`"dns_udp":"${udpIo === 'auto' ? 'batched' : 'node'}"`), 'the listening line says how UDP is read');
  const threads = udpIo === 'auto';
  t.match(gw.stderr(), new RegExp(`"dns_workers":"${threads ? 'threads' : 'processes'}"`), 'and what the workers are');

  const statuses = async (name: string, n: number) => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const text = await dig(gw.dnsPort, ['+tries=1', name, 'A']);
      // sluice's own block answer carries its SOA; the upstream stub's NXDOMAIN does not.
      out.push(text.includes('sluice.invalid') ? 'BLOCKED' : (digStatus(text) ?? 'none'));
    }
    return out;
  };
  t.same(new Set(await statuses('www.bad.example.com', 20)), new Set(['BLOCKED']), 'every answer blocks');
  t.same(new Set(await statuses('ok.example.net', 20)), new Set(['NOERROR']), 'every answer forwards');
  // TCP stays with the main thread (threads), or the cluster's shared listener (processes).
  const tcp = await dig(gw.dnsPort, ['+tcp', '+tries=1', 'www.bad.example.com', 'A']);
  t.ok(tcp.includes('sluice.invalid'), 'TCP blocks too');

  // A new set reaches every worker.
  writeFileSync(join(dir, 'list.tmp'), 'bad.example.com\nnew.example.org\n');
  renameSync(join(dir, 'list.tmp'), join(dir, 'list.txt'));
  let blocked: string[] = [];
  for (let i = 0; i < 40; i++) {
    await new Promise((r) => setTimeout(r, 250));
    blocked = await statuses('new.example.org', 10);
    if (blocked.every((s) => s === 'BLOCKED')) break;
  }
  t.same(new Set(blocked), new Set(['BLOCKED']), 'the new name is blocked by every worker');

  const metrics = await (await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`)).text();
  const count = (action: string) => Number(new RegExp(`^sluice_dns_queries_total\\{action="${action}"\\} (\\d+)`, 'm').exec(metrics)?.[1] ?? 0);
  t.ok(count('blocked') >= 30, `blocked queries of all workers are counted (${count('blocked')})`);
  t.ok(count('forwarded') >= 20, `forwarded queries of all workers are counted (${count('forwarded')})`);
  t.equal((metrics.match(/^# TYPE sluice_dns_queries_total /gm) ?? []).length, 1, 'one metric family, not one per worker');
  t.match(metrics, /^sluice_process_start_time_seconds \d+/m, "the main process's own metrics are all there");
  await gw.stop();
  // Each worker logs to its own file; both answered (the kernel spreads datagrams over them).
  // With threads, the main thread is one of the two and keeps the file without a suffix.
  const logged = readdirSync(dir).filter((f) => (threads ? /^queries\.log(\.w1)?$/ : /^queries\.log\.w\d+$/).test(f));
  t.equal(logged.length, 2, `a query log per worker (${logged.join(', ')})`);
  const lines = logged.map((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n').filter(Boolean).length);
  t.equal(lines.reduce((a, b) => a + b, 0), count('blocked') + count('forwarded'), 'every query was logged by one worker');
  t.ok(lines.every((n) => n > 0), `both workers answered (${lines.join(' and ')} queries)`);
});

t.test('no DNS workers start where DNS listens nowhere', async (t) => {
  const dir = await workspace(t, (upstream) => `{ listen: [], upstream: ["127.0.0.1:${upstream}"], workers: 2 }`);
  const gw = await serve(join(dir, 'sluice.yaml'));
  t.teardown(gw.stop);
  const line = gw.stderr().split('\n').find((l) => l.includes('"msg":"listening"')) ?? '';
  t.match(line, /"dns":\[\]/, 'no DNS port');
  t.notMatch(line, /dns_workers/, 'and no workers named');
  for (let i = 0; i < 100 && (await fetch(`http://127.0.0.1:${gw.httpPort}/readyz`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
  const verdict = (await (await fetch(`http://127.0.0.1:${gw.httpPort}/v1/verdict?domain=bad.example.com`)).json()) as { verdict: string };
  t.equal(verdict.verdict, 'block', 'HTTP still answers from the set');
});

t.test('a DNS thread stuck in a loop is replaced, and queries stop going unanswered', { skip: batchUdp() ? false : 'the batched UDP helper is not built' }, async (t) => {
  const dir = await workspace(t, (upstream) => `{ listen: ["127.0.0.1:0"], upstream: ["127.0.0.1:${upstream}"], workers: 2 }`);
  const saved = { ...process.env };
  Object.assign(process.env, {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${pathToFileURL(fileURLToPath(new URL('../helpers/stuck-dns-thread.mjs', import.meta.url))).href}`,
    SLUICE_TEST_STUCK_MARKER: join(dir, 'stuck'),
    SLUICE_TEST_STUCK_MS: '1000',
  });
  const gw = await serve(join(dir, 'sluice.yaml')).finally(() => {
    process.env = saved;
  });
  t.teardown(gw.stop);
  // Each query from its own port: stuck, the thread would still take about half of them.
  const answered = async (n: number) => {
    let ok = 0;
    for (let i = 0; i < n; i++) if (/status: NOERROR/.test(await dig(gw.dnsPort, ['+tries=1', '+time=1', 'ok.example.net', 'A']))) ok++;
    return ok;
  };
  await new Promise((r) => setTimeout(r, 1500));
  t.ok(existsSync(join(dir, 'stuck')), 'a thread went into its loop');
  let replaced = false;
  for (let i = 0; i < 100 && !replaced; i++) {
    await new Promise((r) => setTimeout(r, 100));
    replaced = gw.stderr().includes('dns thread stopped answering; replacing it');
  }
  t.ok(replaced, 'the stuck thread was noticed and replaced');
  // The new thread needs a moment to start and bind.
  let all = 0;
  for (let round = 0; round < 20 && all < 20; round++) {
    await new Promise((r) => setTimeout(r, 250));
    all = await answered(20);
  }
  t.equal(all, 20, 'every query is answered again');
});
