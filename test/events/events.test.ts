import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { SluiceError } from '../../src/errors.js';
import { createEventBus, dnsHitEvent, httpHitEvent, type EventBus, type SinkName } from '../../src/events/index.js';
import type { HitEvent } from '../../src/events/types.js';
import {
  eventsConfig,
  hit,
  makeCert,
  parseRfc5424,
  tcpSyslog,
  tlsSyslog,
  udpSyslog,
  waitFor,
  webhookReceiver,
  type SyslogReceiver,
  type Teardown,
} from './receivers.js';

interface Counted {
  sent: Record<string, number>;
  dropped: Record<string, number>;
  errors: Error[];
}

function counting(): Counted & { callbacks: Parameters<typeof createEventBus>[1] } {
  const c: Counted = { sent: {}, dropped: {}, errors: [] };
  return {
    ...c,
    callbacks: {
      onSent: (sink: SinkName, n: number) => void (c.sent[sink] = (c.sent[sink] ?? 0) + n),
      onDrop: (sink: SinkName, n: number) => void (c.dropped[sink] = (c.dropped[sink] ?? 0) + n),
      onError: (_sink: SinkName, err: Error) => void c.errors.push(err),
    },
  };
}

function bus(t: Teardown, events: Record<string, unknown>, callbacks = {}): EventBus {
  const b = createEventBus(eventsConfig({ batch_size: 100, flush_interval: '50ms', ...events }), callbacks, undefined, { backoffMs: 20 });
  if (!b) throw new Error('no bus');
  t.teardown(() => b.close(500));
  return b;
}

const N = 5000;

/** Every one of N events arrived at the syslog receiver, in order, each a well-formed message. */
async function checkSyslog(t: Test, r: SyslogReceiver, b: EventBus): Promise<void> {
  const started = performance.now();
  for (let i = 0; i < N; i++) b.emit(hit(i));
  await waitFor(() => r.messages.length >= N, 20_000, `${N} syslog messages (have ${r.messages.length})`);
  t.comment(`${N} events delivered in ${(performance.now() - started).toFixed(0)} ms`);
  t.equal(r.messages.length, N, 'every event arrived, none twice');
  let inOrder = 0;
  let wellFormed = 0;
  r.messages.forEach((line, i) => {
    const m = parseRfc5424(line);
    if (m.params.value === `n${i}.bad.example.com`) inOrder++;
    if (m.version === 1 && m.pri === (i % 2 === 0 ? 132 : 133) && m.appName === 'sluice' && m.params.indicator === 'bad.example.com') wellFormed++;
  });
  t.equal(inOrder, N, 'in the order emitted');
  t.equal(wellFormed, N, 'each parses: PRI, version 1, structured data');
  t.same(b.stats().syslog, { sent: N, dropped: 0, pending: 0 });
}

t.test('syslog over UDP: one message per datagram, all of them, in order', async (t) => {
  const r = await udpSyslog(t);
  await checkSyslog(t, r, bus(t, { syslog: { host: '127.0.0.1', port: r.port, protocol: 'udp' } }));
});

t.test('syslog over TCP with octet counting', async (t) => {
  const r = await tcpSyslog(t);
  await checkSyslog(t, r, bus(t, { syslog: { host: '127.0.0.1', port: r.port, protocol: 'tcp' } }));
  t.equal(r.framingErrors, 0);
});

t.test('syslog over TLS, trusting a throwaway CA from ca_file', async (t) => {
  const cert = makeCert(t);
  const r = await tlsSyslog(t, cert);
  await checkSyslog(t, r, bus(t, { syslog: { host: '127.0.0.1', port: r.port, protocol: 'tls', ca_file: cert.certPath } }));
  t.equal(r.framingErrors, 0);
});

t.test('syslog over TLS refuses a collector it does not trust', async (t) => {
  const cert = makeCert(t);
  const other = makeCert(t); // a different self-signed CA
  const r = await tlsSyslog(t, cert);
  const c = counting();
  const b = bus(t, { syslog: { host: '127.0.0.1', port: r.port, protocol: 'tls', ca_file: other.certPath } }, c.callbacks);
  for (let i = 0; i < 10; i++) b.emit(hit(i));
  await waitFor(() => (c.dropped.syslog ?? 0) === 10, 10_000, 'the batch to fail');
  t.equal(r.messages.length, 0, 'nothing sent to an untrusted collector');
  t.match(c.errors[0]?.message, /self[- ]signed|certificate/i);
});

t.test('syslog CEF format over TCP', async (t) => {
  const r = await tcpSyslog(t);
  const b = bus(t, { syslog: { host: '127.0.0.1', port: r.port, protocol: 'tcp', format: 'cef', app_name: 'gw' } });
  b.emit(hit(0, { value: 'a=b|c\\d' }));
  await waitFor(() => r.messages.length === 1);
  const m = parseRfc5424(r.messages[0]!);
  t.equal(m.appName, 'gw');
  t.match(m.msg, /^CEF:0\|sluice\|sluice\|0\.1\|hit-block\|Blocked indicator hit\|7\|/);
  t.match(m.msg, /cs4=a\\=b\|c\\\\d /);
});

t.test('webhook: JSON array batches, all events, in order', async (t) => {
  const r = await webhookReceiver(t);
  const b = bus(t, { webhook: { url: r.url, headers: { authorization: 'Bearer test-token-0123456789' } } });
  const sent: HitEvent[] = [];
  for (let i = 0; i < N; i++) {
    const e = hit(i);
    sent.push(e);
    b.emit(e);
  }
  await waitFor(() => r.batches.flat().length >= N, 20_000, 'every event at the webhook');
  t.same(r.batches.flat(), sent, 'the same events in the same order');
  t.ok(r.batches.every((batch) => batch.length <= 100), 'batches no larger than batch_size');
  t.equal(r.headers[0]?.['content-type'], 'application/json');
  t.equal(r.headers[0]?.authorization, 'Bearer test-token-0123456789', 'configured headers sent');
  // The receiver has the last batch before its answer is back at the sender, which counts then.
  await waitFor(() => b.stats().webhook?.pending === 0, 5_000, 'the last answer back at the sender');
  t.same(b.stats().webhook, { sent: N, dropped: 0, pending: 0 });
});

t.test('a partial batch goes out after flush_interval; close() sends what is queued', async (t) => {
  const r = await webhookReceiver(t);
  const timed = bus(t, { webhook: { url: r.url }, flush_interval: '100ms' });
  for (let i = 0; i < 3; i++) timed.emit(hit(i));
  await waitFor(() => r.batches.length === 1, 5000, 'the timed flush');
  t.equal(r.batches[0]!.length, 3);

  const slow = bus(t, { webhook: { url: r.url }, flush_interval: '1h', batch_size: 1000 });
  for (let i = 0; i < 250; i++) slow.emit(hit(i));
  t.equal(r.batches.length, 1, 'nothing sent yet');
  await slow.close();
  t.equal(r.batches.length, 2);
  t.equal(r.batches[1]!.length, 250, 'close flushed the queue');
  t.same(slow.stats().webhook, { sent: 250, dropped: 0, pending: 0 });
  slow.emit(hit(9));
  t.equal(slow.stats().webhook!.dropped, 1, 'an event after close is counted as dropped');
});

t.test('include: only the verdicts listed make events', async (t) => {
  const r = await webhookReceiver(t);
  const b = bus(t, { webhook: { url: r.url }, include: ['block'] });
  for (let i = 0; i < 10; i++) b.emit(hit(i));
  await b.close();
  t.same(r.batches.flat().map((e) => e.verdict), Array(5).fill('block'));
  t.same(b.stats().webhook, { sent: 5, dropped: 0, pending: 0 }, 'ignored verdicts are not drops');
});

t.test('JSON lines file: rotation by size keeps the current file and `keep` older ones', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-events-file-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'hits.jsonl');
  const b = bus(t, { file: { path, max_bytes: 4000, keep: 2 }, batch_size: 5 });
  const total = 400;
  for (let i = 0; i < total; i++) {
    b.emit(hit(i));
    if (i % 50 === 49) await waitFor(() => b.stats().file!.pending === 0);
  }
  await b.close();
  t.same(readdirSync(dir).sort(), ['hits.jsonl', 'hits.jsonl.1', 'hits.jsonl.2'], 'no more than keep rotated files');
  t.notOk(existsSync(`${path}.3`));
  const lines = [`${path}.2`, `${path}.1`, path].flatMap((p) => readFileSync(p, 'utf8').split('\n').filter(Boolean));
  const events = lines.map((l) => JSON.parse(l) as HitEvent);
  t.ok(events.length > 0 && events.length < total, `older generations removed (${events.length} of ${total} kept)`);
  const first = Number(/^n(\d+)\./.exec(events[0]!.value)![1]);
  t.same(events.map((e) => e.value), events.map((_, k) => `n${first + k}.bad.example.com`), 'the newest events, gap-free and in order');
  t.equal(events.at(-1)!.value, `n${total - 1}.bad.example.com`);
  t.same(events.at(-1), hit(total - 1), 'each line is the whole event');
  for (const p of [`${path}.2`, `${path}.1`]) t.ok(readFileSync(p).length >= 4000, `${p} rotated at max_bytes`);
  t.same(b.stats().file, { sent: total, dropped: 0, pending: 0 });
});

t.test('JSON lines file that cannot be written: batches counted as errors and drops', async (t) => {
  const c = counting();
  const b = bus(t, { file: { path: join(tmpdir(), 'no-such-dir-sluice', 'x', 'hits.jsonl') }, batch_size: 10 }, c.callbacks);
  for (let i = 0; i < 25; i++) b.emit(hit(i));
  await b.close();
  t.equal(c.dropped.file, 25);
  t.equal(c.sent.file ?? 0, 0);
  t.equal(c.errors.length, 3, 'one error per failed batch');
  t.match(c.errors[0]?.message, /ENOENT/);
});

t.test('several sinks at once each get every event', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-events-all-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const tcp = await tcpSyslog(t);
  const hook = await webhookReceiver(t);
  const c = counting();
  const b = bus(
    t,
    { file: { path: join(dir, 'hits.jsonl') }, syslog: { host: '127.0.0.1', port: tcp.port, protocol: 'tcp' }, webhook: { url: hook.url } },
    c.callbacks,
  );
  t.same(b.sinks, ['file', 'syslog', 'webhook']);
  for (let i = 0; i < 1000; i++) b.emit(hit(i));
  await b.close();
  t.equal(tcp.messages.length, 1000);
  t.equal(hook.batches.flat().length, 1000);
  t.equal(readFileSync(join(dir, 'hits.jsonl'), 'utf8').split('\n').filter(Boolean).length, 1000);
  t.same(c.sent, { file: 1000, syslog: 1000, webhook: 1000 }, 'onSent per sink');
  t.same(c.dropped, {});
});

t.test('hits from the DNS handler and the HTTP routes become events', async (t) => {
  const d = dnsHitEvent({ client: '192.0.2.1', name: 'x.bad.example.com', qtype: 28, verdict: 'block', indicator: 'bad.example.com', feeds: ['bad'] });
  t.match(d, { source: 'dns', client: '192.0.2.1', value: 'x.bad.example.com', qtype: 28, verdict: 'block', indicator: 'bad.example.com', feeds: ['bad'] });
  t.ok(Math.abs(Date.parse(d.time) - Date.now()) < 5000, 'stamped now');
  const h = httpHitEvent({ source: 'forward-auth', value: 'http://bad.example/x', type: 'url', verdict: 'monitor', indicator: 'bad.example', feeds: ['f'] });
  t.match(h, { source: 'forward-auth', value: 'http://bad.example/x', type: 'url', verdict: 'monitor' });
  t.notOk('client' in h);
});

t.test('config: no sink means no bus; bad values refuse the start', async (t) => {
  t.equal(createEventBus(eventsConfig({})), undefined);
  const refuses = (events: Record<string, unknown>, key: RegExp) => {
    try {
      createEventBus(eventsConfig(events))?.close(0);
      t.fail(`accepted ${JSON.stringify(events)}`);
    } catch (err) {
      t.ok(err instanceof SluiceError && err.code === 'SLUICE_ERR_CONFIG' && key.test(err.message), `refused: ${(err as Error).message}`);
    }
  };
  refuses({ flush_interval: 'soon', webhook: { url: 'http://127.0.0.1:9/x' } }, /events\.flush_interval/);
  refuses({ webhook: { url: 'ftp://127.0.0.1/x' } }, /events\.webhook\.url/);
  refuses({ webhook: { url: 'not a url' } }, /events\.webhook\.url/);
  refuses({ webhook: { url: 'http://127.0.0.1:9/x', timeout: '0s' } }, /events\.webhook\.timeout/);
  refuses({ file: { path: '/tmp/x', max_bytes: 'huge' } }, /events\.file\.max_bytes/);
  refuses({ syslog: { host: '127.0.0.1', protocol: 'tls', ca_file: '/nonexistent/ca.pem' } }, /events\.syslog\.ca_file/);
  refuses({ syslog: { host: '127.0.0.1', protocol: 'udp', ca_file: '/tmp/ca.pem' } }, /only applies to protocol tls/);
  refuses({ syslog: { host: ' ' } }, /events\.syslog\.host/);
});
