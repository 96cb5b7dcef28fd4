// "A dead webhook does not slow DNS answers": blocked queries against three gateways side by
// side, one without hit events, one whose only sink is a webhook that never answers, one whose
// webhook port refuses connections (and is retried, busily). Queries alternate between them so
// that whatever else the machine is doing falls on all three alike.
import t from 'tap';
import { createEventBus, dnsHitEvent, type EventBus } from '../../src/events/index.js';
import type { DnsHit } from '../../src/dns/handler.js';
import { query, startGateway, udpExchange, UpstreamStub, type Gateway } from '../dns/harness.js';
import { eventsConfig, refusedPort, webhookReceiver } from './receivers.js';

const N = 500;
const WARMUP = 50;
const ROUNDS = 5;

interface Figures {
  median: number;
  p99: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

t.test('a dead webhook does not slow DNS answers (measured)', async (t) => {
  const stub = await new UpstreamStub({}).start(t);
  const hanging = await webhookReceiver(t, () => 'hang');
  const refused = await refusedPort();

  const deadBus = (url: string, queueSize: number, retries: number): EventBus => {
    const bus = createEventBus(
      eventsConfig({ queue_size: queueSize, batch_size: 10, flush_interval: '20ms', webhook: { url, retries, timeout: '30s' } }),
      {},
      undefined,
      { backoffMs: 5 }, // retry as busily as possible: the worst case for the event loop
    )!;
    t.teardown(() => bus.close(100));
    return bus;
  };
  // A small queue on the hanging one, so the drop path runs during the measurement too.
  const hangBus = deadBus(hanging.url, 100, 10);
  // One retry, so batch after batch is tried and given up while the queries run.
  const refusedBus = deadBus(`http://127.0.0.1:${refused}/hits`, 10_000, 1);

  /** Time spent in onHit (building the event and emit), the only part of the bus on the DNS path. */
  const inHit: number[] = [];
  const timed = (bus: EventBus) => (h: DnsHit) => {
    const started = process.hrtime.bigint();
    bus.emit(dnsHitEvent(h));
    inHit.push(Number(process.hrtime.bigint() - started) / 1e3);
  };
  const gateways: Record<string, Gateway> = {
    baseline: await startGateway(t, { upstreams: [stub.upstream], handler: { onHit: undefined } }),
    hanging: await startGateway(t, { upstreams: [stub.upstream], handler: { onHit: timed(hangBus) } }),
    refused: await startGateway(t, { upstreams: [stub.upstream], handler: { onHit: timed(refusedBus) } }),
  };
  const names = Object.keys(gateways);
  let queries = 0;
  let answered = 0;

  /** One round: N blocked queries to each gateway, interleaved; median and p99 per gateway. */
  const round = async (): Promise<Record<string, Figures>> => {
    const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    for (let i = 0; i < WARMUP + N; i++) {
      for (const name of names) {
        const msg = query(`q${queries}.bad.example.com`, 'A', { id: queries & 0xffff });
        if (name !== 'baseline') hits++;
        const started = process.hrtime.bigint();
        const reply = await udpExchange(gateways[name]!.port, msg);
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        if (reply && (reply.readUInt16BE(2) & 0xf) === 3) answered++; // NXDOMAIN: the block answer
        if (i >= WARMUP) times[name]!.push(ms);
      }
      queries++;
    }
    const out: Record<string, Figures> = {};
    for (const name of names) {
      const sorted = [...times[name]!].sort((a, b) => a - b);
      out[name] = { median: percentile(sorted, 50), p99: percentile(sorted, 99) };
    }
    return out;
  };
  let hits = 0;

  // p99 of 500 is the fifth-slowest answer: one scheduler hiccup of the shared machine moves
  // it (the baseline alone shows 3-100 ms outliers). A round passes when both dead-webhook
  // gateways are within bounds; up to ROUNDS rounds are run and every one is reported. A real
  // stall (emit waiting on the webhook) would fail every round by seconds, and the median,
  // checked in every round, would move too.
  let passed = false;
  for (let r = 1; r <= ROUNDS && !passed; r++) {
    const f = await round();
    const base = f.baseline!;
    for (const name of names) {
      t.comment(`round ${r} ${name.padEnd(8)} median ${f[name]!.median.toFixed(3)} ms  p99 ${f[name]!.p99.toFixed(3)} ms  (N=${N}, UDP, blocked)`);
    }
    passed = true;
    for (const name of ['hanging', 'refused']) {
      const g = f[name]!;
      const p99Bound = Math.max(base.p99 * 2, base.p99 + 2);
      const medianBound = Math.max(base.median * 2, base.median + 0.25);
      t.ok(g.median < medianBound, `round ${r} ${name}: median ${g.median.toFixed(3)} ms < ${medianBound.toFixed(3)} ms`);
      if (g.p99 >= p99Bound) {
        passed = false;
        t.comment(`round ${r} ${name}: p99 ${g.p99.toFixed(3)} ms not within ${p99Bound.toFixed(3)} ms; measuring again`);
      }
    }
  }
  t.ok(passed, `p99 with a dead webhook within max(2x, +2 ms) of the baseline p99 in a round of ${ROUNDS}`);
  t.equal(answered, queries * names.length, 'every query got its block answer');
  const hitTimes = [...inHit].sort((a, b) => a - b);
  const hitMedian = percentile(hitTimes, 50);
  t.comment(
    `onHit with a dead webhook: median ${hitMedian.toFixed(2)} µs, p99 ${percentile(hitTimes, 99).toFixed(2)} µs, max ${hitTimes.at(-1)!.toFixed(1)} µs over ${hitTimes.length} hits`,
  );
  t.equal(hitTimes.length, hits, 'every hit went to a bus');
  t.ok(hitMedian < 20, 'building and emitting an event costs microseconds');

  // The buses really were stuck while the answers went out.
  const hs = hangBus.stats().webhook!;
  t.equal(hs.sent, 0, 'the hanging webhook accepted nothing');
  t.ok(hs.dropped > 0, `its small queue overflowed: ${hs.dropped} dropped`);
  t.equal(hs.sent + hs.dropped + hs.pending, queries, 'every hit accounted for');
  const rs = refusedBus.stats().webhook!;
  t.equal(rs.sent, 0, 'the refused webhook accepted nothing');
  t.equal(rs.sent + rs.dropped + rs.pending, queries);
  t.ok(rs.dropped > 0, 'batches were tried and given up during the run');
  t.comment(`hanging webhook: ${hanging.requests} request(s) open; refused webhook: ${rs.dropped} dropped after retries, ${rs.pending} pending`);
});
