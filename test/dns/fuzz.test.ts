// Bounded robustness test: a few thousand random and mutated messages over UDP and TCP at a
// real gateway on 127.0.0.1, then ordinary queries must still be answered. Bounded by count and
// by time; the seed is printed so a failure can be replayed with DNS_FUZZ_SEED.
import t from 'tap';
import '../helpers/quiet.js';
import dnsPacket from 'dns-packet';
import { parseQuery } from '../../src/dns/wire.js';
import {
  decodeReply,
  query,
  sleep,
  startGateway,
  tcpConnect,
  tcpExchange,
  u16,
  udpClient,
  udpExchange,
  UpstreamStub,
} from './harness.js';

const MAX_DATAGRAMS = 100_000;
const MAX_TCP_MESSAGES = 400;
const TIME_BUDGET_MS = 20_000;
/** The in-process checks need far fewer messages than the socket flood. */
const IN_PROCESS_BUDGET_MS = 4000;

const seed = Number(process.env.DNS_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;

/** mulberry32: small, seedable, good enough to pick bytes. */
function prng(s: number): () => number {
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}
/** Each test restarts the sequence from its own seed, so a failure replays on its own. */
let rand = prng(seed);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));

const SEEDS = [
  query('bad.example.com', 'A'),
  query('BaD.eXaMpLe.CoM', 'AAAA', { edns: { udp: 4096, dnssecOk: true } }),
  query('ok.example.net', 'A', { edns: { udp: 512, options: [{ code: 100, data: Buffer.from('xy') }] } }),
  query('ok.example.net', 'TXT'),
  query('www.allowed.example.com', 'HTTPS', { edns: { version: 1 } }),
  query('listed.example.org', 65, { edns: { options: [{ code: 8, data: Buffer.from([0, 1, 24, 0, 192, 0, 2]) }] } }),
  query('', 'NS'),
  query(['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63), 'd'.repeat(61)], 'A'),
];
const SPECIAL = [0x00, 0x01, 0x3f, 0x40, 0x7f, 0x80, 0xc0, 0xc0, 0xff];

function mutate(): Buffer {
  const base = Buffer.from(pick(SEEDS));
  switch (int(9)) {
    case 0:
      return randomBytes(int(600));
    case 1: {
      for (let i = 1 + int(8); i > 0; i--) base[int(base.length)]! ^= 1 << int(8);
      return base;
    }
    case 2:
      return base.subarray(0, int(base.length));
    case 3:
      return Buffer.concat([base, randomBytes(1 + int(64))]);
    case 4: {
      for (const at of [4, 6, 8, 10]) if (rand() < 0.5) base.writeUInt16BE(pick([0, 1, 2, 0xffff, int(65536)]), at);
      return base;
    }
    case 5: {
      for (let i = 1 + int(4); i > 0; i--) base[12 + int(base.length - 12)] = pick(SPECIAL);
      return base;
    }
    case 6: {
      // A compression pointer dropped somewhere in or after the question.
      const at = rand() < 0.3 ? 12 : 12 + int(base.length - 13);
      const target = rand() < 0.5 ? int(16) : int(1024);
      base[at] = 0xc0 | (target >> 8);
      base[at + 1] = target & 0xff;
      return base;
    }
    case 7: {
      const other = pick(SEEDS);
      return Buffer.concat([base.subarray(0, int(base.length)), other.subarray(int(other.length))]);
    }
    default: {
      base.writeUInt16BE(int(65536), 2); // random flags: QR, opcodes, rcodes
      return base;
    }
  }
}

/** True when the message cannot be a query whatever the reader does: it must count as malformed. */
function surelyMalformed(msg: Buffer): boolean {
  return msg.length < 12 || (msg.readUInt16BE(2) & 0x8000) !== 0 || msg.readUInt16BE(4) !== 1;
}

const ZONE = {
  'ok.example.net': [{ type: 'A' as const, data: '192.0.2.80' }],
  'www.allowed.example.com': [{ type: 'A' as const, data: '192.0.2.82' }],
};

t.test('100,000 random and mutated datagrams leave the gateway answering', async (t) => {
  t.comment(`seed ${seed} (replay with DNS_FUZZ_SEED=${seed})`);
  rand = prng(seed);
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  process.on('unhandledRejection', onRejection);
  t.teardown(() => void process.off('unhandledRejection', onRejection));

  const stub = await new UpstreamStub(ZONE).start(t);
  const gw = await startGateway(t, { upstreams: [stub.upstream], timeoutMs: 300 });
  const before = await gw.counts();
  const client = await udpClient(t);

  const started = Date.now();
  let sent = 0;
  let sureMalformed = 0;
  while (sent < MAX_DATAGRAMS && Date.now() - started < TIME_BUDGET_MS) {
    const msg = mutate();
    if (surelyMalformed(msg)) sureMalformed++;
    client.socket.send(msg, gw.port, '127.0.0.1');
    // Yield often enough that the gateway, on this same event loop, drains its socket before
    // the kernel's buffer fills.
    if (++sent % 32 === 0) await new Promise((r) => setImmediate(r));
  }

  // TCP: mutated messages in length-prefixed frames on a few connections, plus raw junk streams.
  let tcpSent = 0;
  const sockets = await Promise.all([0, 1, 2, 3].map(() => tcpConnect(gw.port)));
  for (const s of sockets) {
    s.on('error', () => undefined);
    s.on('data', () => undefined);
    t.teardown(() => s.destroy());
  }
  while (tcpSent < MAX_TCP_MESSAGES && Date.now() - started < TIME_BUDGET_MS + 1000) {
    const s = sockets[tcpSent % sockets.length]!;
    const msg = mutate();
    if (!s.destroyed) s.write(rand() < 0.9 ? Buffer.concat([u16(msg.length), msg]) : randomBytes(int(40)));
    if (++tcpSent % 20 === 0) await sleep(1);
  }
  const elapsed = Date.now() - started;
  t.comment(`sent ${sent} datagrams (${sureMalformed} surely malformed) and ${tcpSent} TCP writes in ${elapsed} ms`);
  t.ok(elapsed < TIME_BUDGET_MS + 2000, 'stayed within the time budget');
  t.ok(sent >= 100_000, `sent at least 100,000 datagrams (${sent})`);

  await sleep(800); // let forwarded ones time out or come back

  const after = await gw.counts();
  const rose = (after.malformed ?? 0) - (before.malformed ?? 0);
  t.ok(rose >= sureMalformed * 0.5, `malformed counter rose by ${rose} (${sureMalformed} surely malformed datagrams sent)`);
  const handled = Object.values(after).reduce((a, b) => a + b, 0);
  t.ok(handled >= sent * 0.5, `most datagrams were handled (${handled} counted of ${sent + tcpSent} sent)`);

  const bad = client.replies.filter((r) => r.length < 12 || (r.readUInt16BE(2) & 0x8000) === 0);
  t.same(bad.length, 0, `every one of ${client.replies.length} replies is a DNS response (QR set, full header)`);

  const blockedUdp = await udpExchange(gw.port, query('bad.example.com', 'A', { id: 0xaaaa }));
  const blockedTcp = await tcpExchange(gw.port, query('bad.example.com', 'A', { id: 0xbbbb }));
  const fwdUdp = await udpExchange(gw.port, query('ok.example.net', 'A', { id: 0xcccc }));
  const fwdTcp = await tcpExchange(gw.port, query('ok.example.net', 'A', { id: 0xdddd }));
  t.equal(blockedUdp && decodeReply(blockedUdp).rcode, 3, 'a blocked name still gets NXDOMAIN over UDP');
  t.equal(blockedTcp && decodeReply(blockedTcp).rcode, 3, 'and over TCP');
  t.match(fwdUdp && decodeReply(fwdUdp).packet.answers, [{ data: '192.0.2.80' }], 'a forwarded name is still answered over UDP');
  t.match(fwdTcp && decodeReply(fwdTcp).packet.answers, [{ data: '192.0.2.80' }], 'and over TCP');
  t.same(rejections, [], 'no unhandled rejection');
});

t.test('mutated messages in process: the reader stays in bounds and every reply parses', async (t) => {
  t.comment(`seed ${seed} (replay with DNS_FUZZ_SEED=${seed})`);
  rand = prng(seed ^ 0x5eed);
  const stub = await new UpstreamStub(ZONE).start(t);
  const gw = await startGateway(t, { upstreams: [stub.upstream], timeoutMs: 200 });
  const started = Date.now();
  const failures: string[] = [];
  const fail = (msg: Buffer, why: string) => failures.length < 10 && failures.push(`${why}: ${msg.toString('hex')}`);
  let checked = 0;
  let accepted = 0;
  while (checked < 4000 && Date.now() - started < IN_PROCESS_BUDGET_MS) {
    const batch = Array.from({ length: 100 }, mutate);
    checked += batch.length;
    await Promise.all(
      batch.map(async (msg) => {
        let parsed: ReturnType<typeof parseQuery>;
        try {
          parsed = parseQuery(msg);
        } catch (err) {
          return fail(msg, `parseQuery threw ${String(err)}`);
        }
        if (parsed.ok) {
          accepted++;
          const q = parsed.query;
          if (q.questionEnd > msg.length || q.questionEnd < 17) fail(msg, `question end ${q.questionEnd} out of bounds`);
          if (q.name.length > 253) fail(msg, `name of ${q.name.length} characters`);
          if (q.edns && q.edns.udpSize < 512) fail(msg, `udp size ${q.edns.udpSize}`);
        } else if ((parsed.id !== undefined) !== (msg.length >= 12 && (msg.readUInt16BE(2) & 0x8000) === 0)) {
          fail(msg, 'id given for a message that is no query, or missing for one that is');
        }
        const reply = await gw.handler.handle(msg, '127.0.0.1', rand() < 0.3);
        if (!reply) return;
        if (reply.length < 12 || !(reply.readUInt16BE(2) & 0x8000)) return fail(msg, 'reply is not a response');
        if (reply.readUInt16BE(0) !== msg.readUInt16BE(0)) return fail(msg, 'reply id differs from the query id');
        if (!parsed.ok) return;
        const question = msg.subarray(12, parsed.query.questionEnd);
        if (!reply.subarray(12, 12 + question.length).equals(question)) return fail(msg, 'question not echoed');
        try {
          const decoded = dnsPacket.decode(reply);
          if ((decoded.questions ?? []).length !== 1) fail(msg, 'reply does not hold one question');
        } catch (err) {
          fail(msg, `reply does not parse (${String(err)}): ${reply.toString('hex')}`);
        }
      }),
    );
  }
  t.comment(`checked ${checked} messages, ${accepted} accepted as queries, in ${Date.now() - started} ms`);
  t.ok(checked >= 1000, 'checked at least a thousand messages');
  t.same(failures, [], 'no invariant broken');
});
