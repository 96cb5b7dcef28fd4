// DNS threads: they answer on the main thread's port from the set it shares with them, read in
// place (not copied), are started again with the current set when one dies, and free the port
// when stopped.
import t from 'tap';
import { createSocket } from 'node:dgram';
import dnsPacket from 'dns-packet';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../helpers/quiet.js';
import { matcherFor } from '../helpers/feeds.js';
import { DnsStub } from '../helpers/dns-stub.js';
import { dig, digStatus } from '../helpers/cli.js';
import { silentLogger } from '../helpers/quiet.js';
import { parseConfig } from '../../src/config/load.js';
import { FLAG_ALLOW } from '../../src/match/compiled-set.js';
import { parseQuery } from '../../src/match/query.js';
import { decide } from '../../src/match/verdict.js';
import { batchUdp } from '../../src/dns/batch-udp.js';
// The pool starts its threads from the built files, as the gateway does.
import { shareSet } from '../../dist/match/codec.js';
import { DnsThreadPool } from '../../dist/dns/workers/threads.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** What the gateway answered: its own block answer carries its SOA, the stub's answer an address. */
async function answer(port: number, name: string): Promise<string> {
  const text = await dig(port, ['+tries=1', name, 'A']);
  if (text.includes('sluice.invalid')) return 'BLOCKED';
  return /\sIN\s+A\s+192\.0\.2\.66/.test(text) ? 'FORWARDED' : (digStatus(text) ?? 'none');
}

t.test('DNS threads answer from the main thread\'s set, in place, and come back when one dies', { skip: batchUdp() ? false : 'the batched UDP helper is not built' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-threads-'));
  const upstream = new DnsStub({ 'www.bad.example.com': { A: '192.0.2.66' } });
  await upstream.start();
  t.teardown(() => upstream.stop());
  const config = parseConfig(
    [
      `data_dir: ${join(dir, 'data')}`,
      `dns: { listen: ["127.0.0.1:0"], upstream: ["127.0.0.1:${upstream.port}"], workers: 2, cache_size: 0, query_log: { path: ${join(dir, 'queries.log')} } }`,
    ].join('\n'),
    join(dir, 'sluice.yaml'),
  );
  const matcher = matcherFor([{ name: 'local', format: 'text', type: 'domain', confidence: 90, body: 'bad.example.com\n' }]);
  const set = shareSet(matcher.set);
  const entry = decide(matcher, parseQuery('bad.example.com', 'value')).hit!.entry;

  const port = await freeUdpPort();
  const pool = new DnsThreadPool(config, 2, silentLogger);
  t.teardown(() => pool.stop());
  pool.broadcast(set);
  await pool.start([port]);
  t.equal(pool.running.length, 2, 'two threads run');

  const answers = async (n: number) => {
    const out = new Set<string>();
    for (let i = 0; i < n; i++) out.add(await answer(port, 'www.bad.example.com'));
    return out;
  };
  t.same(await answers(20), new Set(['BLOCKED']), 'every thread blocks the listed name');
  const logged = () => [1, 2].map((w) => readFileSync(join(dir, `queries.log.w${w}`), 'utf8').trim().split('\n').length);
  await sleep(300);
  t.ok(logged().every((n) => n > 0), `both threads answered (${logged().join(' and ')})`);

  // One client on one source port: the kernel's hash would send all of it to one thread; each
  // datagram goes to a thread at random instead, so a busy resolver in front loads both.
  const before1 = logged();
  const client = createSocket('udp4');
  await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
  let replies = 0;
  client.on('message', () => replies++);
  const query = dnsPacket.encode({ type: 'query', id: 1, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name: 'www.bad.example.com' }] });
  for (let i = 0; i < 60; i++) {
    client.send(query, port, '127.0.0.1');
    await sleep(2);
  }
  for (let i = 0; i < 50 && replies < 60; i++) await sleep(20);
  client.close();
  t.equal(replies, 60, 'every query from the one client was answered');
  await sleep(300);
  const spread = logged().map((n, i) => n - before1[i]!);
  t.ok(spread.every((n) => n >= 10), `one client's queries reached both threads (${spread.join(' and ')})`);

  // Marking the entry allowed in the main thread's memory changes what the threads answer:
  // they read that memory, not a copy of it.
  set.flags[entry]! |= FLAG_ALLOW;
  t.same(await answers(20), new Set(['FORWARDED']), 'the threads see the change at once');
  set.flags[entry]! &= ~FLAG_ALLOW;
  t.same(await answers(10), new Set(['BLOCKED']), 'and its undoing');

  // A thread that dies is replaced and answers from the current set before anything else.
  const blockedCount = async () => Number(/^sluice_dns_queries_total\{action="blocked"\} (\d+)/m.exec(await pool.metricsText([]))?.[1] ?? 0);
  const countedBefore = await blockedCount();
  t.ok(countedBefore >= 60, `the threads' blocked queries are summed (${countedBefore})`);
  const [first] = pool.running;
  await first!.terminate();
  for (let i = 0; i < 80 && !(pool.running.length === 2 && !pool.running.includes(first!)); i++) await sleep(100);
  t.equal(pool.running.length, 2, 'a new thread replaced it');
  t.notOk(pool.running.includes(first!), 'not the one that died');
  const before = logged()[0]!;
  t.same(await answers(30), new Set(['BLOCKED']), 'every answer still blocks');
  await sleep(300);
  t.ok(logged()[0]! > before, `the new thread answered too (${before} then ${logged().join(' and ')})`);
  const countedAfter = await blockedCount();
  t.ok(countedAfter >= countedBefore + 30, `what the dead thread counted stays in the sum (${countedBefore}, then ${countedAfter})`);

  // Stopped threads close their sockets: the port can be bound alone again.
  await pool.stop();
  t.equal(pool.running.length, 0, 'no thread runs');
  const probe = createSocket('udp4');
  const bound = await new Promise<boolean>((resolve) => {
    probe.once('error', () => resolve(false));
    probe.bind(port, '127.0.0.1', () => resolve(true));
  });
  probe.close();
  t.ok(bound, 'the port is free');
});

t.test('a thread that ends with its helper socket open does not take the process down', { skip: batchUdp() ? false : 'the batched UDP helper is not built' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-thread-exit-'));
  const helper = new URL('../../native/dns-udp/build/Release/sluice_dns_udp.node', import.meta.url).pathname;
  writeFileSync(
    join(dir, 'open.cjs'),
    [
      "const { parentPort } = require('node:worker_threads');",
      `const io = require(${JSON.stringify(helper)});`,
      "const s = io.open('127.0.0.1', 0, 2, () => []);",
      'parentPort.postMessage(io.port(s));',
    ].join('\n'),
  );
  const { Worker } = await import('node:worker_threads');
  for (const end of ['terminate', 'exit'] as const) {
    const w = new Worker(end === 'exit' ? `require(${JSON.stringify(join(dir, 'open.cjs'))}); process.exit(3)` : join(dir, 'open.cjs'), { eval: end === 'exit' });
    if (end === 'terminate') {
      const port = await new Promise<number>((resolve) => w.once('message', resolve));
      t.ok(port > 0, `the thread opened a socket on ${port}`);
      await w.terminate();
    } else {
      const code = await new Promise<number>((resolve) => w.once('exit', resolve));
      t.equal(code, 3, 'the thread exited with its own code');
    }
  }
  // Ended while datagrams arrive and its handler is busy: the helper must stop reading once
  // JavaScript can no longer run, instead of handing the batch to a thread that is gone.
  writeFileSync(
    join(dir, 'busy.cjs'),
    [
      "const { parentPort } = require('node:worker_threads');",
      `const io = require(${JSON.stringify(helper)});`,
      'const s = io.open(\'127.0.0.1\', 0, 1, () => { let x = 0; for (let i = 0; i < 20000; i++) x += i; return []; });',
      'parentPort.postMessage(io.port(s));',
    ].join('\n'),
  );
  for (let round = 0; round < 15; round++) {
    const w = new Worker(join(dir, 'busy.cjs'));
    const port = await new Promise<number>((resolve) => w.once('message', resolve));
    const flood = createSocket('udp4');
    let sent = 0;
    const timer = setInterval(() => {
      for (let i = 0; i < 200 && sent < 20_000; i++, sent++) flood.send(Buffer.alloc(30), port, '127.0.0.1');
    }, 1);
    await sleep(50 + round * 5);
    await w.terminate();
    clearInterval(timer);
    flood.close();
  }
  t.pass('the process is still here');
});
