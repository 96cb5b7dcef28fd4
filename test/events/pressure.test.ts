import t, { type Test } from 'tap';
import { EventBus } from '../../src/events/bus.js';
import { createEventBus } from '../../src/events/index.js';
import type { HitEvent, Sink, SinkName } from '../../src/events/types.js';
import { eventsConfig, hit, refusedPort, tcpSyslog, waitFor, webhookReceiver, type Behaviour } from './receivers.js';

const EMITTED = 50_000;
const QUEUE = 10_000;
const BATCH = 100;

function tally() {
  const c = { sent: 0, dropped: 0, errors: [] as Error[] };
  return {
    c,
    callbacks: {
      onSent: (_s: SinkName, n: number) => void (c.sent += n),
      onDrop: (_s: SinkName, n: number) => void (c.dropped += n),
      onError: (_s: SinkName, err: Error) => void c.errors.push(err),
    },
  };
}

/** Emits 50,000 events at a sink that cannot keep up and checks emit stayed cheap and every event is accounted for. */
async function flood(t: Test, webhook: Record<string, unknown>) {
  const { c, callbacks } = tally();
  const bus = createEventBus(eventsConfig({ queue_size: QUEUE, batch_size: BATCH, flush_interval: '50ms', webhook }), callbacks, undefined, { backoffMs: 20 })!;
  t.teardown(() => bus.close(100));
  const events = Array.from({ length: EMITTED }, (_, i) => hit(i));

  const started = process.hrtime.bigint();
  for (const e of events) bus.emit(e);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  t.comment(`${EMITTED} emits in ${ms.toFixed(1)} ms (${((ms * 1000) / EMITTED).toFixed(2)} µs each)`);
  t.ok(ms < 200, `emit never waits: ${ms.toFixed(1)} ms for ${EMITTED}`);

  const s = bus.stats().webhook!;
  t.equal(s.sent + s.dropped + s.pending, EMITTED, 'sent + dropped + queued == emitted');
  t.ok(s.pending <= QUEUE, 'the queue stayed bounded');
  t.ok(s.dropped >= EMITTED - QUEUE, `the overflow was dropped and counted (${s.dropped})`);
  await new Promise((res) => setTimeout(res, 60));
  t.equal(c.dropped, bus.stats().webhook!.dropped, 'onDrop reported every drop by the next flush tick');
  return { bus, c };
}

t.test('a webhook that hangs: emit stays O(1), overflow counted, close does not hang', async (t) => {
  const r = await webhookReceiver(t, () => 'hang');
  const { bus, c } = await flood(t, { url: r.url, timeout: '30s', retries: 3 });
  await waitFor(() => r.requests === 1, 5000, 'the first batch to be in flight');
  await new Promise((res) => setTimeout(res, 200));
  t.equal(r.requests, 1, 'one request in flight at a time, however much is queued');
  t.equal(bus.stats().webhook!.pending, QUEUE, 'the in-flight batch and the rest of the queue');

  const started = Date.now();
  await bus.close(200);
  t.ok(Date.now() - started < 2000, `close gave up at its deadline (${Date.now() - started} ms)`);
  t.same(bus.stats().webhook, { sent: 0, dropped: EMITTED, pending: 0 }, 'everything not sent is dropped at close');
  t.equal(c.dropped, EMITTED, 'and reported');
});

t.test('a refused port: batches fail after their retries, the rest is still accounted for', async (t) => {
  const port = await refusedPort();
  const { bus, c } = await flood(t, { url: `http://127.0.0.1:${port}/hits`, retries: 2 });
  await waitFor(() => c.errors.length >= 2, 10_000, 'failed batches');
  t.match(c.errors[0]!.message, /ECONNREFUSED|connect/i);
  const s = bus.stats().webhook!;
  t.equal(s.sent + s.dropped + s.pending, EMITTED);
  t.equal(s.sent, 0);
  t.ok(s.dropped >= EMITTED - QUEUE + 2 * BATCH, 'failed batches are dropped too');
});

t.test('retries with backoff: 503, 503, then 200 delivers the batch on the third try', async (t) => {
  const statuses = [503, 503, 200];
  const r = await webhookReceiver(t, (n) => statuses[n] ?? 200);
  const { c, callbacks } = tally();
  const bus = createEventBus(eventsConfig({ batch_size: 10, webhook: { url: r.url, retries: 3 } }), callbacks, undefined, { backoffMs: 40 })!;
  t.teardown(() => bus.close(100));
  const started = Date.now();
  for (let i = 0; i < 10; i++) bus.emit(hit(i));
  await waitFor(() => c.sent === 10, 5000, 'the batch to be accepted');
  const elapsed = Date.now() - started;
  t.equal(r.requests, 3, 'three tries');
  t.same(r.batches[0], r.batches[2], 'the same batch each time');
  t.same(r.batches[1], r.batches[2]);
  t.ok(elapsed >= 20 + 40, `waited between tries (${elapsed} ms; at least half of 40 + 80)`);
  t.equal(c.errors.length, 0, 'a batch that got through in the end is no error');
  t.equal(c.dropped, 0);
});

t.test('retries keep order: a later batch waits for the one being retried', async (t) => {
  const r = await webhookReceiver(t, (n) => (n === 0 ? 503 : 200));
  const { c, callbacks } = tally();
  const bus = createEventBus(eventsConfig({ batch_size: 10, webhook: { url: r.url, retries: 3 } }), callbacks, undefined, { backoffMs: 20 })!;
  t.teardown(() => bus.close(100));
  const sent: HitEvent[] = [];
  for (let i = 0; i < 30; i++) {
    sent.push(hit(i));
    bus.emit(sent[i]!);
  }
  await waitFor(() => c.sent === 30);
  t.same(r.batches.slice(1).flat(), sent, 'accepted batches in emit order');
});

async function givesUp(t: Test, behaviour: Behaviour, webhook: Record<string, unknown>, tries: number, message: RegExp) {
  const r = await webhookReceiver(t, behaviour);
  const { c, callbacks } = tally();
  const bus = createEventBus(eventsConfig({ batch_size: 10, webhook: { url: r.url, ...webhook } }), callbacks, undefined, { backoffMs: 20 })!;
  t.teardown(() => bus.close(100));
  for (let i = 0; i < 10; i++) bus.emit(hit(i));
  await waitFor(() => c.dropped === 10, 10_000, 'the batch to be given up');
  await new Promise((res) => setTimeout(res, 100));
  t.equal(r.requests, tries, `${tries} tries`);
  t.equal(c.errors.length, 1, 'one error for the batch');
  t.match(c.errors[0]!.message, message);
  t.same(bus.stats().webhook, { sent: 0, dropped: 10, pending: 0 }, 'dropped and counted');
}

t.test('retries: 0 and a 503: one try, then dropped and counted', (t) => givesUp(t, () => 503, { retries: 0 }, 1, /HTTP 503/));
t.test('a 429 is retried like a 5xx', (t) => givesUp(t, () => 429, { retries: 2 }, 3, /HTTP 429/));
t.test('a 400 is not retried: the same batch would fail again', (t) => givesUp(t, () => 400, { retries: 3 }, 1, /HTTP 400/));
t.test('a hanging answer times out and is retried', (t) => givesUp(t, () => 'hang', { retries: 1, timeout: '200ms' }, 2, /abort|timeout/i));

t.test('syslog over TCP reconnects after the collector drops the connection', async (t) => {
  const r = await tcpSyslog(t);
  const bus = createEventBus(eventsConfig({ batch_size: 10, flush_interval: '20ms', syslog: { host: '127.0.0.1', port: r.port, protocol: 'tcp' } }), {}, undefined, {
    backoffMs: 20,
  })!;
  t.teardown(() => bus.close(100));
  for (let i = 0; i < 50; i++) bus.emit(hit(i));
  await waitFor(() => r.messages.length === 50);
  r.dropConnections();
  await new Promise((res) => setTimeout(res, 100));
  for (let i = 50; i < 100; i++) bus.emit(hit(i));
  await waitFor(() => r.messages.length === 100, 5000, 'the events after the reconnect');
  t.equal(r.connections, 2, 'a second connection');
  t.same(bus.stats().syslog, { sent: 100, dropped: 0, pending: 0 });
});

t.test('a sink that throws or a callback that throws cannot reach emit', async (t) => {
  const broken: Sink = {
    name: 'file',
    send: () => {
      throw new Error('bug');
    },
    close: async () => undefined,
  };
  const errors: string[] = [];
  const bus = new EventBus([broken], { include: ['block', 'monitor'], queueSize: 5, batchSize: 2, flushIntervalMs: 10 }, {
    onDrop: () => {
      throw new Error('callback bug');
    },
    onError: (_s, err) => void errors.push(err.message),
  });
  t.teardown(() => bus.close(10));
  for (let i = 0; i < 20; i++) bus.emit(hit(i));
  await waitFor(() => bus.stats().file!.pending === 0);
  t.same(bus.stats().file, { sent: 0, dropped: 20, pending: 0 });
  t.ok(errors.every((m) => m === 'bug') && errors.length > 0);
});
