// Answer inspection, the answer cache, upstream failover and TCP retry, rate limiting, the
// query log and bounded client labels.
import t from 'tap';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { matcherFor } from '../helpers/feeds.js';
import { AnswerCache } from '../../src/dns/cache.js';
import { QueryLog } from '../../src/dns/query-log.js';
import { RateLimiter } from '../../src/dns/rate-limit.js';
import { Forwarder } from '../../src/dns/forwarder.js';
import { decodeReply, query, sleep, startGateway, udpExchange, UpstreamStub, tcpExchange } from './harness.js';

const NOERROR = 0;
const NXDOMAIN = 3;
const REFUSED = 5;
const answersOf = (r: { packet: { answers?: Array<{ data?: unknown; ttl?: number }> } }) => r.packet.answers ?? [];

const TRACKER = { name: 'trackers', format: 'text', type: 'auto', confidence: 90, body: 'tracker.example.net\n203.0.113.0/24\n' };
const CHAIN = {
  'metrics.example.com': [
    { type: 'CNAME' as const, data: 'edge.example.org' },
    { type: 'CNAME' as const, name: 'edge.example.org', data: 'tracker.example.net' },
    { type: 'A' as const, name: 'tracker.example.net', data: '192.0.2.50' },
    { type: 'AAAA' as const, name: 'tracker.example.net', data: '2001:db8::50' },
  ],
  'shady.example.org': [{ type: 'A' as const, data: '203.0.113.7' }],
  'fine.example.org': [{ type: 'A' as const, data: '198.51.100.20', ttl: 120 }],
};

t.test('PUB-020: a CNAME chain into a blocked name gets the block answer a direct hit gets', async (t) => {
  const stub = await new UpstreamStub(CHAIN).start(t);
  for (const response of ['nxdomain', 'sinkhole'] as const) {
    const gw = await startGateway(t, { upstreams: [stub.upstream], response, matcher: matcherFor([TRACKER]) });
    const direct = decodeReply((await udpExchange(gw.port, query('tracker.example.net', 'A', { id: 1 })))!);
    for (const type of ['A', 'AAAA']) {
      const viaChain = decodeReply((await udpExchange(gw.port, query('metrics.example.com', type, { id: 2 })))!);
      t.equal(viaChain.rcode, direct.rcode, `${response} ${type}: same rcode as a direct hit`);
      if (response === 'sinkhole') t.same(answersOf(viaChain).map((a) => a.data), [type === 'A' ? '0.0.0.0' : '::'], `${type}: the sinkhole address`);
    }
    const hit = gw.hits.find((h) => h.name === 'metrics.example.com');
    t.match(hit, { indicator: 'tracker.example.net', verdict: 'block' }, 'the hit names the indicator and the question');
  }
  const allowed = await startGateway(t, { upstreams: [stub.upstream], matcher: matcherFor([TRACKER], 'metrics.example.com\n') });
  const sent = query('metrics.example.com', 'A', { id: 0x4242 });
  const reply = (await udpExchange(allowed.port, sent))!;
  const upstreamReply = stub.log.filter((e) => e.name === 'metrics.example.com').at(-1)!.reply!;
  t.same(reply.subarray(2), upstreamReply.subarray(2), 'allowlisted: relayed byte for byte but the id');
});

t.test('an address inside a blocked network in an answer gets the block answer', async (t) => {
  const stub = await new UpstreamStub(CHAIN).start(t);
  const gw = await startGateway(t, { upstreams: [stub.upstream], matcher: matcherFor([TRACKER]) });
  t.equal(decodeReply((await udpExchange(gw.port, query('shady.example.org', 'A')))!).rcode, NXDOMAIN);
  t.equal(decodeReply((await udpExchange(gw.port, query('fine.example.org', 'A')))!).rcode, NOERROR);
  const off = await startGateway(t, { upstreams: [stub.upstream], matcher: matcherFor([TRACKER]), handler: { inspectAnswers: false } });
  t.equal(decodeReply((await udpExchange(off.port, query('shady.example.org', 'A')))!).rcode, NOERROR, 'inspection can be turned off');
});

t.test('the answer cache serves repeats, keeps the client case and ages TTLs', async (t) => {
  const stub = await new UpstreamStub(CHAIN).start(t);
  let now = 1000;
  const cache = new AnswerCache(100, () => now);
  const gw = await startGateway(t, { upstreams: [stub.upstream], handler: { cache } });
  const first = decodeReply((await udpExchange(gw.port, query('fine.example.org', 'A', { id: 7 })))!);
  now += 30;
  const raw = (await udpExchange(gw.port, query('FiNe.ExAmPlE.oRg', 'A', { id: 8 })))!;
  const second = decodeReply(raw);
  t.equal(stub.log.filter((e) => e.name === 'fine.example.org').length, 1, 'the upstream was asked once');
  t.equal(second.id, 8);
  t.equal(second.packet.questions![0]!.name, 'FiNe.ExAmPlE.oRg', 'the client letter case comes back');
  t.equal(answersOf(first)[0]!.ttl, 120);
  t.equal(answersOf(second)[0]!.ttl, 90, 'aged by the 30 s it spent in the cache');
  now += 91;
  await udpExchange(gw.port, query('fine.example.org', 'A', { id: 9 }));
  t.equal(stub.log.filter((e) => e.name === 'fine.example.org').length, 2, 'asked again once the TTL ran out');
  t.match(await gw.metrics.dnsCache.get(), { values: [{ labels: { result: 'miss' } }, { labels: { result: 'hit' } }] });
});

t.test('a truncated UDP answer is fetched again over TCP', async (t) => {
  const stub = await new UpstreamStub(CHAIN, { truncateUdp: true }).start(t);
  const gw = await startGateway(t, { upstreams: [stub.upstream] });
  const reply = decodeReply((await tcpExchange(gw.port, query('fine.example.org', 'A', { edns: { udp: 4096 } })))!);
  t.equal(answersOf(reply)[0]?.data, '198.51.100.20');
  const viaUdp = decodeReply((await udpExchange(gw.port, query('fine.example.org', 'A', { edns: { udp: 4096 } })))!);
  t.equal(answersOf(viaUdp)[0]?.data, '198.51.100.20', 'a UDP client gets the full answer when it fits its buffer');
  t.ok(stub.log.some((e) => e.via === 'tcp'), 'the upstream was asked over TCP');
});

t.test('a silent upstream is set aside and the next one answers', async (t) => {
  const dead = await new UpstreamStub({}, { silent: true }).start(t);
  const alive = await new UpstreamStub(CHAIN).start(t);
  const failures: string[] = [];
  const forwarder = new Forwarder([dead.upstream, alive.upstream], 200, (u) => failures.push(u));
  t.teardown(() => forwarder.close());
  const q = query('fine.example.org', 'A', { id: 5 });
  const parsed = { id: 5, flags: 0x0100, opcode: 0, name: 'fine.example.org', qtype: 1, qclass: 1, questionEnd: q.length, edns: undefined };
  let answered = 0;
  for (let i = 0; i < 60 && forwarder.status()[0]!.up; i++) if (await forwarder.forward(q, parsed, false)) answered++;
  t.match(forwarder.status(), [{ up: false, failures: 3 }, { up: true }], 'the dead one is set aside after 3 failures');
  t.equal(failures.length, 3);
  for (let i = 0; i < 5; i++) if (await forwarder.forward(q, parsed, false)) answered++;
  t.equal(failures.length, 3, 'and no longer tried first, so no more failures');
  t.ok(answered >= 8, 'every query was answered by the live one');
});

t.test('rate limiting per client: REFUSED or silence beyond the burst', async (t) => {
  const stub = await new UpstreamStub(CHAIN).start(t);
  const refused = await startGateway(t, { upstreams: [stub.upstream], handler: { rateLimit: { limiter: new RateLimiter(1, 5), action: 'refused' } } });
  const rcodes: number[] = [];
  for (let i = 0; i < 8; i++) rcodes.push(decodeReply((await udpExchange(refused.port, query('fine.example.org', 'A', { id: i })))!).rcode);
  t.same(rcodes, [NOERROR, NOERROR, NOERROR, NOERROR, NOERROR, REFUSED, REFUSED, REFUSED]);
  t.equal(await refused.count('ratelimited'), 3);
  const dropped = await startGateway(t, { upstreams: [stub.upstream], handler: { rateLimit: { limiter: new RateLimiter(1, 1), action: 'drop' } } });
  t.ok(await udpExchange(dropped.port, query('fine.example.org', 'A')));
  t.equal(await udpExchange(dropped.port, query('fine.example.org', 'A'), 300), undefined, 'dropped: no answer');
});

t.test('the query log writes JSON lines and rotates by size', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-qlog-'));
  const log = new QueryLog(join(dir, 'queries.log'), 2000, 2);
  const stub = await new UpstreamStub(CHAIN).start(t);
  const gw = await startGateway(t, { upstreams: [stub.upstream], matcher: matcherFor([TRACKER]), handler: { queryLog: log } });
  for (let i = 0; i < 40; i++) await udpExchange(gw.port, query(i % 2 ? 'tracker.example.net' : 'fine.example.org', 'A', { id: i }));
  await sleep(100);
  await log.close();
  const files = readdirSync(dir).sort();
  t.same(files.slice(0, 2), ['queries.log', 'queries.log.1'], 'rotated');
  t.notOk(files.includes('queries.log.3'), 'keeping at most two old files');
  const lines = readFileSync(join(dir, 'queries.log.1'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  t.match(lines.find((l) => l.action === 'blocked'), { client: '127.0.0.1', name: 'tracker.example.net', qtype: 1, indicator: 'tracker.example.net' });
  t.match(lines.find((l) => l.action === 'forwarded'), { name: 'fine.example.org' });
});

t.test('per-client hit counts keep a bounded set of label values', async (t) => {
  const stub = await new UpstreamStub(CHAIN).start(t);
  const gw = await startGateway(t, { upstreams: [stub.upstream], matcher: matcherFor([TRACKER]), acl: ['0.0.0.0/0'], handler: { clientLabels: 2 } });
  for (const client of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']) {
    await gw.handler.handle(query('tracker.example.net', 'A'), client, false);
  }
  const labels = (await gw.metrics.clientHits.get()).values.map((v) => [v.labels.client, v.value]);
  t.same(labels, [['10.0.0.1', 1], ['10.0.0.2', 1], ['other', 2]]);
});

t.test('a dot inside a label is not a label boundary: no cache entry serves another name', async (t) => {
  const { parseQuery } = await import('../../src/dns/wire.js');
  const oneLabel = parseQuery(query(['victim.test'], 'A'));
  const twoLabels = parseQuery(query('victim.test', 'A'));
  t.ok(oneLabel.ok && twoLabels.ok);
  if (!oneLabel.ok || !twoLabels.ok) return;
  t.equal(oneLabel.query.name, 'victim.test', 'matched as the dotted name, so a listed name is still caught');
  t.not(oneLabel.query.exactName, twoLabels.query.exactName, 'but keyed apart from the two-label name');
  t.equal(twoLabels.query.exactName, 'victim.test');
  // Even under one key, a cached answer is served only for the same question bytes.
  const cache = new AnswerCache(10);
  const reply = Buffer.concat([Buffer.from([0, 1, 0x81, 0x83, 0, 1, 0, 0, 0, 0, 0, 0]), query(['victim.test'], 'A').subarray(12)]);
  cache.put('k', 0, reply, [], 300);
  t.equal(cache.get('k', 0, 2, query('victim.test', 'A').subarray(12)), undefined);
  t.ok(cache.get('k', 0, 2, query(['VICTIM.test'], 'A').subarray(12)), 'the same question in other letter case is served');
});

t.test('a malformed trailing record does not hide a blocked address in the answer', async (t) => {
  const { createSocket } = await import('node:dgram');
  const upstream = createSocket('udp4');
  await new Promise<void>((r) => upstream.bind(0, '127.0.0.1', r));
  t.teardown(() => upstream.close());
  upstream.on('message', (msg, rinfo) => {
    const end = msg.indexOf(0, 12) + 5;
    const answer = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 203, 0, 113, 7]);
    const broken = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 1]); // rdata cut short
    const head = Buffer.from(msg.subarray(0, 12));
    head.writeUInt16BE(0x8180, 2);
    head.writeUInt16BE(1, 6);
    head.writeUInt16BE(0, 8);
    head.writeUInt16BE(1, 10);
    upstream.send(Buffer.concat([head, msg.subarray(12, end), answer, broken]), rinfo.port, rinfo.address);
  });
  const gw = await startGateway(t, { upstreams: [{ host: '127.0.0.1', port: upstream.address().port }], matcher: matcherFor([TRACKER]) });
  t.equal(decodeReply((await udpExchange(gw.port, query('odd.example.org', 'A')))!).rcode, NXDOMAIN, 'blocked: 203.0.113.7 is listed');
});

t.test('one client cannot hold every TCP connection', async (t) => {
  const { MAX_TCP_PER_CLIENT } = await import('../../src/dns/server.js');
  const stub = await new UpstreamStub(CHAIN).start(t);
  const gw = await startGateway(t, { upstreams: [stub.upstream] });
  const { tcpConnect } = await import('./harness.js');
  const held = await Promise.all(Array.from({ length: MAX_TCP_PER_CLIENT + 5 }, () => tcpConnect(gw.port)));
  t.teardown(() => held.forEach((s) => s.destroy()));
  await sleep(200);
  const open = held.filter((s) => !s.destroyed && s.readyState === 'open').length;
  t.equal(open, MAX_TCP_PER_CLIENT, `only ${MAX_TCP_PER_CLIENT} stay open`);
  held.slice(0, 5).forEach((s) => s.destroy());
  await sleep(100);
  t.ok(await tcpExchange(gw.port, query('fine.example.org', 'A')), 'closing some frees room for the same client');
});
