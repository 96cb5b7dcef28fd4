// A real DnsServer with a real QueryHandler on 127.0.0.1 port 0, a small authoritative upstream
// stub on another loopback port, and real clients: raw UDP/TCP sockets, dig and kdig.
import t from 'tap';
import { silentLogger } from '../helpers/quiet.js';
import * as dgram from 'node:dgram';
import { createServer } from 'node:net';
import { matcherFor } from '../helpers/feeds.js';
import { TCP_IDLE_TIMEOUT_MS } from '../../src/dns/server.js';
import { batchUdp, type BatchUdp } from '../../src/dns/batch-udp.js';
import {
  decodeReply,
  dig,
  header,
  kdig,
  nameBytes,
  parseDigOutput,
  query,
  questionOf,
  sleep,
  startGateway,
  tcpConnect,
  tcpExchange,
  u16,
  udpExchange,
  UpstreamStub,
  type StubRecord,
} from './harness.js';

const ZONE: Record<string, StubRecord[]> = {
  'ok.example.net': [
    { type: 'A', data: '192.0.2.80' },
    { type: 'AAAA', data: '2001:db8::80' },
    { type: 'TXT', data: ['hello'] },
  ],
  'ok.example.com': [{ type: 'A', data: '192.0.2.79' }],
  'allowed.example.com': [{ type: 'A', data: '192.0.2.81' }],
  'www.allowed.example.com': [{ type: 'A', data: '192.0.2.82' }],
  'ads.example.com': [{ type: 'A', data: '192.0.2.83' }],
  'watched.example.org': [{ type: 'A', data: '192.0.2.84' }],
  'alias.example.net': [
    { type: 'CNAME', data: 'ok.example.net' },
    { type: 'A', data: '192.0.2.80', name: 'ok.example.net' },
  ],
  // About 2.5 kB: more than any default UDP size.
  'big.example.net': [{ type: 'TXT', data: Array.from({ length: 12 }, () => 'x'.repeat(200)) }],
  // About 650 bytes: over 512, under 1232.
  'mid.example.net': [{ type: 'TXT', data: Array.from({ length: 3 }, () => 'm'.repeat(200)) }],
};

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5, BADVERS: 16 };
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

/** The stub's reply for the last exchange of `name`, to compare relayed bytes with. */
function lastReply(stub: UpstreamStub, name: string, via?: 'udp' | 'tcp'): Buffer {
  const hit = [...stub.log].reverse().find((e) => e.name === name && (!via || e.via === via));
  if (!hit?.reply) throw new Error(`stub never answered ${name}`);
  return hit.reply;
}

// ---------------------------------------------------------------------------------------------
// Binding

for (const udp of ['node', 'auto'] as const) {
  t.test(`with port 0, a UDP port already taken for TCP is given up and another one bound (udp ${udp})`, async (t) => {
    // A TCP listener on port P, then a UDP socket whose first bind to port 0 lands on P: Node's
    // dgram module, or the batched helper, steered the same way.
    const blocker = createServer();
    t.teardown(() => new Promise((resolve) => blocker.close(resolve)));
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as { port: number }).port;
    let steered = 0;
    const steer = (port: number) => (port === 0 && steered++ === 0 ? taken : port);
    const createSocket = ((...args: Parameters<typeof dgram.createSocket>) => {
      const socket = dgram.createSocket(...args);
      const bind = socket.bind.bind(socket) as (...a: unknown[]) => typeof socket;
      socket.bind = ((port: number, ...rest: unknown[]) => bind(steer(port), ...rest)) as typeof socket.bind;
      return socket;
    }) as typeof dgram.createSocket;
    const real = batchUdp();
    if (udp === 'auto') t.ok(real, 'the batched helper is built');
    const steeredIo: BatchUdp | undefined = real && {
      open: (host, port, group, onBatch) => real.open(host, steer(port), group, onBatch),
      port: (socket) => real.port(socket),
      send: (socket, reply, port, address) => real.send(socket, reply, port, address),
      close: (socket) => real.close(socket),
    };
    const { DnsServer } = await t.mockImport<typeof import('../../src/dns/server.js')>('../../src/dns/server.js', {
      'node:dgram': { ...dgram, createSocket },
      '../../src/dns/batch-udp.js': { batchUdp: () => steeredIo },
    });
    const stub = await new UpstreamStub(ZONE).start(t);
    const gw = await startGateway(t, { upstreams: [stub.upstream] });
    const server = new DnsServer(gw.handler, silentLogger, { udp });
    t.teardown(() => server.close());
    t.equal(server.udpMode, udp === 'auto' ? 'batched' : 'node', `UDP through ${server.udpMode}`);
    await server.listen([{ host: '127.0.0.1', port: 0 }]);
    t.equal(steered > 1, true, 'a second port was tried');
    const port = server.bound[0]!.port;
    t.not(port, taken, `bound ${port}, not the taken ${taken}`);
    t.ok(await udpExchange(port, query('bad.example.com', 'A')), 'UDP answers on the bound port');
    t.ok(await tcpExchange(port, query('bad.example.com', 'A')), 'TCP answers on the same port');
    const probe = dgram.createSocket('udp4');
    const freed = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false));
      probe.bind(taken, '127.0.0.1', () => resolve(true));
    });
    probe.close();
    t.ok(freed, 'the UDP socket on the given-up port was closed');

    const fixed = new DnsServer(gw.handler, silentLogger, { udp });
    t.teardown(() => fixed.close());
    await t.rejects(fixed.listen([{ host: '127.0.0.1', port: taken }]), { code: 'EADDRINUSE' }, 'a fixed port in use still fails');
  });
}

// ---------------------------------------------------------------------------------------------
// Block responses

t.test('nxdomain mode answers a listed name with NXDOMAIN and an SOA carrying the configured TTL', async (t) => {
  const stub = await new UpstreamStub(ZONE).start(t);
  const gw = await startGateway(t, { upstreams: [stub.upstream], response: 'nxdomain', ttl: 123 });

  const v = parseDigOutput(await dig(gw.port, ['bad.example.com', 'A']));
  t.equal(v.status, 'NXDOMAIN');
  t.same(v.answer, [], 'no answer');
  t.equal(v.authority.length, 1, 'one authority record');
  const soaLine = /^bad\.example\.com\.\s+123\s+IN\s+SOA\s+\S+\s+\S+\s+\d+ \d+ \d+ \d+ 123$/;
  t.match(v.authority[0], soaLine, 'SOA with TTL and minimum 123');
  t.equal(v.ede, '15 (Blocked)', 'EDE Blocked, since dig sent EDNS');

  const msg = query('bad.example.com', 'AAAA', { id: 0x4242 });
  const r = decodeReply((await udpExchange(gw.port, msg))!);
  t.equal(r.id, 0x4242, 'id echoed');
  t.equal(r.rcode, RCODE.NXDOMAIN);
  t.ok(r.flags & 0x8000, 'QR set');
  t.ok(r.flags & 0x0100, 'RD copied');
  t.same(r.counts, [1, 0, 1, 0], 'question, one SOA, no OPT without EDNS');
  t.same(questionOf(r.raw), questionOf(msg), 'question bytes echoed');
  const soa = r.packet.authorities![0] as { type: string; ttl: number; data: { minimum: number } };
  t.equal(soa.type, 'SOA');
  t.equal(soa.ttl, 123);
  t.equal(soa.data.minimum, 123, 'negative caching TTL');
  t.same(stub.asked, [], 'a blocked name never reaches the upstream');
  t.equal(gw.hits.length, 2);
  t.match(gw.hits[1], { name: 'bad.example.com', qtype: 28, verdict: 'block', indicator: 'bad.example.com', feeds: ['bad'] });
  t.equal(await gw.count('blocked'), 2);
});

t.test('nodata mode answers NOERROR with no records and an SOA in authority', async (t) => {
  const stub = await new UpstreamStub(ZONE).start(t);
  const gw = await startGateway(t, { upstreams: [stub.upstream], response: 'nodata', ttl: 30 });
  for (const type of ['A', 'AAAA', 'TXT']) {
    const v = parseDigOutput(await dig(gw.port, ['bad.example.com', type]));
    t.equal(v.status, 'NOERROR', `${type}: NOERROR`);
    t.same(v.answer, [], `${type}: no answer`);
    t.match(v.authority, [/^bad\.example\.com\.\s+30\s+IN\s+SOA\s.* 30$/], `${type}: SOA with TTL 30`);
  }
  const r = decodeReply((await udpExchange(gw.port, query('bad.example.com', 'A')))!);
  t.same([r.rcode, ...r.counts], [0, 1, 0, 1, 0]);
  t.same(stub.asked, []);
});

t.test('sinkhole mode answers 0.0.0.0 for A, :: for AAAA and NODATA for other types', async (t) => {
  const stub = await new UpstreamStub(ZONE).start(t);
  const gw = await startGateway(t, { upstreams: [stub.upstream], response: 'sinkhole', ttl: 45 });

  const a = parseDigOutput(await dig(gw.port, ['bad.example.com', 'A']));
  t.equal(a.status, 'NOERROR');
  t.match(a.answer, [/^bad\.example\.com\.\s+45\s+IN\s+A\s+0\.0\.0\.0$/], 'A 0.0.0.0 with the block TTL');
  const aaaa = parseDigOutput(await dig(gw.port, ['bad.example.com', 'AAAA']));
  t.match(aaaa.answer, [/^bad\.example\.com\.\s+45\s+IN\s+AAAA\s+::$/], 'AAAA ::');
  for (const type of ['MX', 'TXT']) {
    const v = parseDigOutput(await dig(gw.port, ['bad.example.com', type]));
    t.equal(v.status, 'NOERROR', `${type}: NOERROR`);
    t.same(v.answer, [], `${type}: no answer (NODATA)`);
    t.match(v.authority, [/IN\s+SOA/], `${type}: SOA in authority`);
  }

  const r = decodeReply((await udpExchange(gw.port, query('bad.example.com', 'AAAA')))!);
  t.same(r.counts, [1, 1, 0, 0]);
  t.same((r.packet.answers![0] as { data: string }).data, '::');
  t.same(r.raw.subarray(r.raw.length - 16), Buffer.alloc(16), 'sixteen zero bytes of rdata');
  t.same(stub.asked, []);
});

t.test('refused mode answers REFUSED with EDE Blocked', async (t) => {
  const stub = await new UpstreamStub(ZONE).start(t);
  const gw = await startGateway(t, { upstreams: [stub.upstream], response: 'refused' });
  const v = parseDigOutput(await dig(gw.port, ['bad.example.com', 'A']));
  t.equal(v.status, 'REFUSED');
  t.equal(v.ede, '15 (Blocked)');
  t.same(v.answer, []);
  t.same(v.authority, []);
  const r = decodeReply((await udpExchange(gw.port, query('bad.example.com', 'A', { edns: { udp: 1232 } })))!);
  t.equal(r.rcode, RCODE.REFUSED);
  t.same(r.counts, [1, 0, 0, 1]);
  t.same(r.opt?.options?.map((o) => o.code), [15], 'only the EDE option');
  t.same(stub.asked, []);
});

t.test('a name below a listed name is blocked over UDP and TCP', async (t) => {
  const stub = await new UpstreamStub(ZONE).start(t);
  const gw = await startGateway(t, { upstreams: [stub.upstream] });
  const udp = parseDigOutput(await dig(gw.port, ['deep.sub.bad.example.com', 'AAAA']));
  const tcp = parseDigOutput(await dig(gw.port, ['+tcp', 'deep.sub.bad.example.com', 'AAAA']));
  t.equal(udp.status, 'NXDOMAIN', 'over UDP');
  t.equal(tcp.status, 'NXDOMAIN', 'over TCP');
  t.match(tcp.text, /\(TCP\)/, 'dig really used TCP');
  t.same(tcp.authority, udp.authority, 'same SOA both ways');
  t.equal(parseDigOutput(await dig(gw.port, ['notbad.example.com', 'A'])).status, 'NXDOMAIN', 'from the stub: not listed');
  t.same(stub.asked, ['notbad.example.com'], 'only the name that is not below a listed one went upstream');
  t.equal(await gw.count('blocked'), 2);
});

// ---------------------------------------------------------------------------------------------
// Forwarding

t.test('an allowlisted name and the names below it are forwarded', async (t) => {
  const stub = await new UpstreamStub(ZONE).start(t);
  const gw = await startGateway(t, { upstreams: [stub.upstream] });
  const v = parseDigOutput(await dig(gw.port, ['allowed.example.com', 'A']));
  t.equal(v.status, 'NOERROR');
  t.match(v.answer, [/192\.0\.2\.81$/]);
  const w = parseDigOutput(await dig(gw.port, ['+tcp', 'www.allowed.example.com', 'A']));
  t.match(w.answer, [/192\.0\.2\.82$/]);
  t.same(stub.asked, ['allowed.example.com', 'www.allowed.example.com']);
  t.equal(await gw.count('forwarded'), 2);
  t.equal(await gw.count('blocked'), 0);
  t.same(gw.hits, [], 'no hit recorded for an allowlisted name');
});

t.test("an unlisted name is forwarded and the upstream's reply relayed byte for byte but the id", async (t) => {
  const stub = await new UpstreamStub(ZONE).start(t);
  const gw = await startGateway(t, { upstreams: [stub.upstream] });

  const cases = [
    ['udp, no EDNS', query('ok.example.net', 'A', { id: 0x0101 }), 'udp'],
    ['udp, EDNS', query('ok.example.net', 'AAAA', { id: 0x0202, edns: { udp: 1232 } }), 'udp'],
    ['udp, TXT', query('ok.example.net', 'TXT', { id: 0x0303 }), 'udp'],
    ['udp, CNAME', query('alias.example.net', 'A', { id: 0x0404 }), 'udp'],
    ['tcp, EDNS', query('ok.example.net', 'A', { id: 0x0505, edns: { udp: 4096 } }), 'tcp'],
    ['tcp, CNAME', query('alias.example.net', 'A', { id: 0x0606 }), 'tcp'],
  ] as const;
  for (const [what, msg, via] of cases) {
    const raw = via === 'udp' ? await udpExchange(gw.port, msg) : await tcpExchange(gw.port, msg);
    t.ok(raw, `${what}: answered`);
    if (!raw) continue;
    const sent = stub.log.at(-1)!;
    t.equal(sent.via, via, `${what}: forwarded over ${via}`);
    t.same(sent.query.subarray(2), msg.subarray(2), `${what}: the query went upstream unchanged but the id`);
    t.equal(raw.readUInt16BE(0), msg.readUInt16BE(0), `${what}: the client's id restored`);
    t.same(raw.subarray(2), sent.reply!.subarray(2), `${what}: the reply relayed unchanged`);
  }
  const cname = decodeReply((await udpExchange(gw.port, query('alias.example.net', 'A')))!);
  t.match(cname.packet.answers, [{ type: 'CNAME', data: 'ok.example.net' }, { type: 'A', data: '192.0.2.80' }]);
  const txt = parseDigOutput(await dig(gw.port, ['ok.example.net', 'TXT']));
  t.match(txt.answer, [/TXT\s+"hello"$/], 'TXT through dig');

  // Upstream ids are chosen afresh, not copied from the client.
  for (let i = 0; i < 8; i++) await udpExchange(gw.port, query('ok.example.net', 'A', { id: 7 }));
  const ids = new Set(stub.log.filter((e) => e.via === 'udp').slice(-8).map((e) => e.query.readUInt16BE(0)));
  t.ok(ids.size > 1, `upstream ids vary (${[...ids].join(', ')})`);
  t.equal(await gw.count('forwarded'), cases.length + 2 + 8);
});

t.test('a reply from the upstream for another question is not relayed', async (t) => {
  // An upstream that answers every query with a reply for a different name (same id).
  const liar = dgram.createSocket('udp4');
  t.teardown(() => liar.close());
  await new Promise<void>((resolve) => liar.bind(0, '127.0.0.1', resolve));
  liar.on('message', (msg, rinfo) => {
    const forged = Buffer.concat([header(msg.readUInt16BE(0), 0x8180, 1, 0), nameBytes(['evil', 'example']), u16(1), u16(1)]);
    liar.send(forged, rinfo.port, rinfo.address);
  });
  const gw = await startGateway(t, { upstreams: [{ host: '127.0.0.1', port: liar.address().port }], timeoutMs: 300 });
  const r = decodeReply((await udpExchange(gw.port, query('ok.example.net', 'A')))!);
  t.equal(r.rcode, RCODE.SERVFAIL, 'the forged answer was ignored and the query timed out');
  t.same(questionOf(r.raw), questionOf(query('ok.example.net', 'A')));
});

t.test('an upstream that never answers gives SERVFAIL within the timeout, over UDP and TCP', async (t) => {
  const dead = await new UpstreamStub(ZONE, { silent: true }).start(t);
  const gw = await startGateway(t, { upstreams: [dead.upstream], timeoutMs: 400 });
  for (const via of ['udp', 'tcp'] as const) {
    const msg = query('ok.example.net', 'A', { id: 0x5151, edns: { udp: 1232 } });
    const start = process.hrtime.bigint();
    const raw = via === 'udp' ? await udpExchange(gw.port, msg, 3000) : await tcpExchange(gw.port, msg, 3000);
    const took = ms(start);
    t.ok(raw, `${via}: answered`);
    if (!raw) continue;
    const r = decodeReply(raw);
    t.equal(r.rcode, RCODE.SERVFAIL, `${via}: SERVFAIL`);
    t.equal(r.id, 0x5151);
    t.same(questionOf(r.raw), questionOf(msg), `${via}: question echoed`);
    t.ok(took >= 350 && took < 1500, `${via}: after the 400 ms timeout, not long after (${took.toFixed(0)} ms)`);
  }
  t.equal(parseDigOutput(await dig(gw.port, ['ok.example.net', 'A'])).status, 'SERVFAIL', 'dig sees SERVFAIL');
  t.same(dead.log.map((e) => e.via), ['udp', 'tcp', 'udp'], 'each query did reach the dead upstream');
  t.equal(await gw.count('servfail'), 3);
  t.equal(await gw.count('forwarded'), 0);
});

t.test('when one of two upstreams is dead the other answers', async (t) => {
  const dead = await new UpstreamStub(ZONE, { silent: true }).start(t);
  const alive = await new UpstreamStub(ZONE).start(t);
  const gw = await startGateway(t, { upstreams: [dead.upstream, alive.upstream], timeoutMs: 300 });
  for (let i = 0; i < 6; i++) {
    const via = i % 2 ? 'tcp' : 'udp';
    const msg = query('ok.example.net', 'A', { id: 0x0d00 + i });
    const raw = via === 'udp' ? await udpExchange(gw.port, msg) : await tcpExchange(gw.port, msg);
    t.match(raw && decodeReply(raw).packet.answers, [{ data: '192.0.2.80' }], `query ${i} over ${via}: answered`);
  }
  t.equal(alive.log.length, 6, 'every query reached the live upstream');
  t.same(await gw.counts(), { forwarded: 6 });
});

t.test('a forwarded reply larger than the client can take over UDP is truncated; TCP gets it whole', async (t) => {
  const stub = await new UpstreamStub(ZONE).start(t);
  const gw = await startGateway(t, { upstreams: [stub.upstream] });

  const check = async (what: string, msg: Buffer, name: string, truncated: boolean, limit: number) => {
    const raw = (await udpExchange(gw.port, msg))!;
    const r = decodeReply(raw);
    t.equal(r.tc, truncated, `${what}: TC ${truncated ? 'set' : 'clear'}`);
    t.ok(raw.length <= limit, `${what}: ${raw.length} bytes fit in ${limit}`);
    t.same(questionOf(raw), questionOf(msg), `${what}: question echoed`);
    if (truncated) {
      t.equal(r.counts[1], 0, `${what}: no partial answer`);
      t.equal(r.opt !== undefined, msg.readUInt16BE(10) > 0, `${what}: OPT in the reply exactly when the query had one`);
    } else {
      t.same(raw.subarray(2), lastReply(stub, name, 'udp').subarray(2), `${what}: relayed whole`);
    }
  };
  await check('no EDNS, 650 bytes', query('mid.example.net', 'TXT'), 'mid.example.net', true, 512);
  await check('EDNS 512, 650 bytes', query('mid.example.net', 'TXT', { edns: { udp: 512 } }), 'mid.example.net', true, 512);
  await check('EDNS 1232, 650 bytes', query('mid.example.net', 'TXT', { edns: { udp: 1232 } }), 'mid.example.net', false, 1232);
  await check('EDNS 1232, 2.5 kB', query('big.example.net', 'TXT', { edns: { udp: 1232 } }), 'big.example.net', true, 1232);
  await check('EDNS 4096, 2.5 kB', query('big.example.net', 'TXT', { edns: { udp: 4096 } }), 'big.example.net', false, 4096);
  await check('EDNS 100 counts as 512', query('mid.example.net', 'TXT', { edns: { udp: 100 } }), 'mid.example.net', true, 512);

  const tcp = (await tcpExchange(gw.port, query('big.example.net', 'TXT')))!;
  t.notOk(decodeReply(tcp).tc, 'TCP: not truncated');
  t.same(tcp.subarray(2), lastReply(stub, 'big.example.net', 'tcp').subarray(2), 'TCP: relayed whole');

  const ignored = parseDigOutput(await dig(gw.port, ['+bufsize=512', '+ignore', 'big.example.net', 'TXT']));
  t.ok(ignored.flags.includes('tc'), 'dig sees TC');
  t.equal(ignored.ednsVersion, 0, 'and an OPT record, as it sent one');
  const retried = parseDigOutput(await dig(gw.port, ['+bufsize=512', 'big.example.net', 'TXT']));
  t.match(retried.text, /Truncated, retrying in TCP mode/);
  t.equal(retried.answer.length, 1, 'dig got the whole answer over TCP');
});

t.test('several queries pipelined on one TCP connection are all answered', async (t) => {
  const stub = await new UpstreamStub(ZONE).start(t);
  const gw = await startGateway(t, { upstreams: [stub.upstream] });
  const socket = await tcpConnect(gw.port);
  t.teardown(() => socket.destroy());
  const msgs = [
    query('bad.example.com', 'A', { id: 1 }),
    query('ok.example.net', 'A', { id: 2 }),
    query('listed.example.org', 'AAAA', { id: 3 }),
    query('ok.example.com', 'A', { id: 4 }),
  ];
  const replies: Buffer[] = [];
  const done = new Promise<void>((resolve) => {
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= buffered.readUInt16BE(0) + 2) {
        replies.push(buffered.subarray(2, buffered.readUInt16BE(0) + 2));
        buffered = buffered.subarray(buffered.readUInt16BE(0) + 2);
      }
      if (replies.length === msgs.length) resolve();
    });
  });
  // One write holding all four, the last one split across two writes.
  const wire = Buffer.concat(msgs.map((m) => Buffer.concat([u16(m.length), m])));
  socket.write(wire.subarray(0, wire.length - 5));
  await sleep(50);
  socket.write(wire.subarray(wire.length - 5));
  await Promise.race([done, sleep(3000)]);
  const byId = new Map(replies.map((r) => [r.readUInt16BE(0), decodeReply(r)]));
  t.same([...byId.keys()].sort(), [1, 2, 3, 4], 'every id answered once');
  t.equal(byId.get(1)?.rcode, RCODE.NXDOMAIN);
  t.equal(byId.get(2)?.rcode, RCODE.NOERROR);
  t.equal(byId.get(3)?.rcode, RCODE.NXDOMAIN);
  t.match(byId.get(4)?.packet.answers, [{ data: '192.0.2.79' }]);
});

// ---------------------------------------------------------------------------------------------
// Who may ask, and what

t.test('a client outside allow_clients gets REFUSED and learns nothing', async (t) => {
  const stub = await new UpstreamStub(ZONE).start(t);
  const gw = await startGateway(t, { upstreams: [stub.upstream], acl: ['10.0.0.0/8', '2001:db8::/32'] });
  const blocked = parseDigOutput(await dig(gw.port, ['bad.example.com', 'A']));
  t.equal(blocked.status, 'REFUSED', 'a listed name: REFUSED');
  t.equal(blocked.ede, undefined, 'without EDE Blocked: the client may not learn what is listed');
  const other = parseDigOutput(await dig(gw.port, ['+tcp', 'ok.example.net', 'A']));
  t.equal(other.status, 'REFUSED', 'an unlisted name over TCP: REFUSED');
  t.same(other.answer, []);
  const r = decodeReply((await udpExchange(gw.port, query('bad.example.com', 'A', { edns: {} })))!);
  t.equal(r.rcode, RCODE.REFUSED);
  t.same(r.opt?.options ?? [], [], 'no EDE in the raw reply either');
  t.same(r.counts, [1, 0, 0, 1]);
  const junk = await udpExchange(gw.port, Buffer.concat([header(9, 0x0100, 0)]), 300);
  t.equal(junk, undefined, 'a malformed message from outside gets nothing, not even FORMERR');
  t.same(stub.asked, [], 'nothing forwarded');
  t.same(gw.hits, [], 'no hit recorded');
  t.same(await gw.counts(), { refused: 3, malformed: 1 });
});

t.test('opcodes other than QUERY get NOTIMP; responses and junk get no answer', async (t) => {
  const stub = await new UpstreamStub(ZONE).start(t);
  const gw = await startGateway(t, { upstreams: [stub.upstream] });
  for (const [opcode, name] of [[2, 'STATUS'], [4, 'NOTIFY'], [5, 'UPDATE']] as const) {
    const msg = query('bad.example.com', 'SOA', { id: 0x7700 + opcode, flags: opcode << 11 });
    const r = decodeReply((await udpExchange(gw.port, msg))!);
    t.equal(r.rcode, RCODE.NOTIMP, `${name}: NOTIMP`);
    t.equal((r.flags >> 11) & 0xf, opcode, `${name}: opcode echoed`);
    t.same(questionOf(r.raw), questionOf(msg));
  }
  const response = Buffer.from(query('ok.example.net', 'A'));
  response.writeUInt16BE(0x8180, 2);
  t.equal(await udpExchange(gw.port, response, 300), undefined, 'a message with QR set is never answered (no loops)');
  const formerr = (await udpExchange(gw.port, Buffer.concat([header(0x3131, 0x0100, 2), nameBytes(['a']), u16(1), u16(1)])))!;
  t.same(
    [formerr.length, formerr.readUInt16BE(0), formerr.readUInt16BE(2) & 0x800f, formerr.readUInt16BE(4)],
    [12, 0x3131, 0x8001, 0],
    'QDCOUNT 2: header-only FORMERR with the id',
  );
  const intoHeader = Buffer.concat([header(0x0162, 0x0100, 1), Buffer.from([0xc0, 0]), u16(1), u16(1)]);
  const formerr2 = (await udpExchange(gw.port, intoHeader))!;
  t.same(
    [formerr2.length, formerr2.readUInt16BE(0), formerr2.readUInt16BE(2) & 0x800f],
    [12, 0x0162, 0x8001],
    'a question name compressed into the header: FORMERR, not a reply whose question no longer parses',
  );
  t.same(stub.asked, [], 'none of these went upstream');
  t.same(await gw.counts(), { notimp: 3, malformed: 3 });
});

t.test('metrics count every action', async (t) => {
  const stub = await new UpstreamStub(ZONE).start(t);
  const gw = await startGateway(t, { upstreams: [stub.upstream] });
  await dig(gw.port, ['bad.example.com', 'A']);
  await dig(gw.port, ['+tcp', 'listed.example.org', 'A']);
  await dig(gw.port, ['watched.example.org', 'A']);
  await dig(gw.port, ['ok.example.net', 'A']);
  await dig(gw.port, ['+tcp', 'allowed.example.com', 'A']);
  await udpExchange(gw.port, query('bad.example.com', 'A', { flags: 4 << 11 }));
  await udpExchange(gw.port, Buffer.from('hello'), 200);
  await udpExchange(gw.port, header(1, 0, 0), 500);

  const refusing = await startGateway(t, { upstreams: [stub.upstream], acl: ['10.0.0.0/8'] });
  await udpExchange(refusing.port, query('ok.example.net', 'A'));
  const dead = await new UpstreamStub(ZONE, { silent: true }).start(t);
  const failing = await startGateway(t, { upstreams: [dead.upstream], timeoutMs: 200 });
  await udpExchange(failing.port, query('ok.example.net', 'A'));

  t.same(await gw.counts(), { blocked: 2, monitored: 1, forwarded: 2, notimp: 1, malformed: 2 });
  t.same(await refusing.counts(), { refused: 1 });
  t.same(await failing.counts(), { servfail: 1 });
  t.match(gw.hits, [
    { name: 'bad.example.com', verdict: 'block' },
    { name: 'listed.example.org' },
    { name: 'watched.example.org', verdict: 'monitor', feeds: ['watch'] },
  ]);
  t.ok(stub.asked.includes('watched.example.org'), 'a monitored name is forwarded');

  const text = await gw.metrics.registry.metrics();
  t.match(text, /sluice_dns_queries_total\{action="blocked"\} 2/);
  t.match(text, /sluice_dns_queries_total\{action="monitored"\} 1/);
  t.match(text, /sluice_dns_queries_total\{action="malformed"\} 2/);
  t.match(text, /sluice_verdicts_total\{type="domain",verdict="block"\} 2/);
  t.match(text, /sluice_hits_total\{feed="watch",type="domain"\} 1/);
});

// ---------------------------------------------------------------------------------------------
// Real clients with their options, against blocked names

t.test('kdig over TCP with +bufsize, +dnssec, +subnet, mixed case, HTTPS and SVCB gets the block answer', async (t) => {
  const stub = await new UpstreamStub(ZONE).start(t);
  const gw = await startGateway(t, { upstreams: [stub.upstream], ttl: 77 });
  const variants = [
    ['+tcp', 'bad.example.com', 'A'],
    ['+tcp', '+bufsize=512', 'bad.example.com', 'A'],
    ['+tcp', '+dnssec', 'bad.example.com', 'AAAA'],
    ['+tcp', '+subnet=192.0.2.0/24', 'bad.example.com', 'A'],
    ['+tcp', '+edns', 'bAd.ExAmPlE.cOm', 'A'],
    ['+tcp', '+edns', 'bad.example.com', 'HTTPS'],
    ['+tcp', '+edns', 'www.bad.example.com', 'SVCB'],
    ['+bufsize=512', '+subnet=198.51.100.0/24', '+dnssec', 'BAD.example.COM', 'HTTPS'],
  ];
  for (const args of variants) {
    const v = parseDigOutput(await kdig(gw.port, args));
    const what = `kdig ${args.join(' ')}`;
    t.equal(v.status, 'NXDOMAIN', `${what}: NXDOMAIN`);
    t.match(v.authority, [/\s77\s+IN\s+SOA\s/], `${what}: SOA with the block TTL`);
    // kdig sends EDNS only when an option asks for it; the reply has an OPT exactly then.
    const edns = args.some((a) => /^\+(edns|bufsize|dnssec|subnet)/.test(a));
    t.equal(v.ednsVersion, edns ? 0 : undefined, `${what}: ${edns ? 'OPT version 0' : 'no OPT'}`);
    t.equal(v.ede, edns ? '15 (Blocked)' : undefined, `${what}: ${edns ? 'EDE Blocked' : 'no EDE without EDNS'}`);
    t.notMatch(v.text, /CLIENT-SUBNET|ECS/, `${what}: no client-subnet option echoed`);
    if (args.includes('+tcp')) t.match(v.text, /\(TCP\)/, `${what}: over TCP`);
  }
  const digged = parseDigOutput(await dig(gw.port, ['+tcp', '+dnssec', '+subnet=192.0.2.0/24', 'bAd.ExAmPlE.cOm', 'HTTPS']));
  t.equal(digged.status, 'NXDOMAIN', 'dig +tcp +dnssec +subnet HTTPS');
  t.match(digged.text, /;bAd\.ExAmPlE\.cOm\.\s+IN\s+HTTPS/, 'the question comes back in the case it was sent');
  t.notMatch(digged.text, /CLIENT-SUBNET/, 'no ECS echoed');

  for (const type of ['HTTPS', 'SVCB'] as const) {
    const msg = query('SuB.bAd.ExAmPlE.cOm', type, { edns: { dnssecOk: true } });
    const raw = (await tcpExchange(gw.port, msg))!;
    const r = decodeReply(raw);
    t.equal(r.rcode, RCODE.NXDOMAIN, `raw ${type} over TCP: NXDOMAIN`);
    t.same(questionOf(raw), questionOf(msg), `raw ${type}: question bytes echoed exactly`);
  }
  t.same(stub.asked, [], 'nothing forwarded');
});

t.test('a TCP client that trickles bytes without completing a query is closed after the idle timeout', async (t) => {
  const stub = await new UpstreamStub(ZONE).start(t);
  const gw = await startGateway(t, { upstreams: [stub.upstream] });
  const socket = await tcpConnect(gw.port);
  t.teardown(() => socket.destroy());
  let closedAfter: number | undefined;
  const start = process.hrtime.bigint();
  socket.on('close', () => (closedAfter = ms(start)));
  socket.on('error', () => undefined);
  // Claims a 256-byte message and sends one byte of it every second.
  socket.write(u16(256));
  const deadline = TCP_IDLE_TIMEOUT_MS + 3000;
  while (closedAfter === undefined && ms(start) < deadline) {
    await sleep(1000);
    if (!socket.destroyed) socket.write(Buffer.from([0]));
  }
  t.ok(closedAfter !== undefined, `closed (after ${closedAfter?.toFixed(0)} ms; idle timeout ${TCP_IDLE_TIMEOUT_MS} ms)`);
  t.ok(closedAfter !== undefined && closedAfter >= TCP_IDLE_TIMEOUT_MS - 500, 'not before the idle timeout');
});

// ---------------------------------------------------------------------------------------------
// Reported cases

t.test('PUB-006: 0x20 mixed case is matched case-insensitively and every reply echoes the question bytes', async (t) => {
  const stub = await new UpstreamStub(ZONE).start(t);
  const matcher = matcherFor(
    [
      { name: 'text', format: 'text', type: 'domain', body: 'Ads.Example.COM\nbad.example.com\n' },
      { name: 'hosts', format: 'hosts', body: '0.0.0.0 ADS.EXAMPLE.COM\n' },
    ],
    'ads.example.com\n',
  );
  const ads = matcher.lookupDomain('ads.example.com');
  t.ok(ads?.allowed, 'ads.example.com is allowlisted by its lower-case spelling');
  const gw = await startGateway(t, { upstreams: [stub.upstream], matcher });

  const blocked = [query('bAd.ExAmPlE.cOm', 'A', { id: 11 }), query('WWW.BAD.EXAMPLE.COM', 'AAAA', { id: 12, edns: {} })];
  for (const msg of blocked) {
    for (const via of ['udp', 'tcp'] as const) {
      const raw = (via === 'udp' ? await udpExchange(gw.port, msg) : await tcpExchange(gw.port, msg))!;
      const r = decodeReply(raw);
      const name = (r.packet.questions![0]!.name);
      t.equal(r.rcode, RCODE.NXDOMAIN, `${name} over ${via}: blocked`);
      t.same(questionOf(raw), questionOf(msg), `${name} over ${via}: question bytes as sent`);
    }
  }
  for (const [text, type] of [['aDs.eXaMpLe.CoM', 'A'], ['OK.Example.Net', 'A']] as const) {
    for (const via of ['udp', 'tcp'] as const) {
      const msg = query(text, type, { id: 21 });
      const raw = (via === 'udp' ? await udpExchange(gw.port, msg) : await tcpExchange(gw.port, msg))!;
      const sent = stub.log.at(-1)!;
      t.same(questionOf(sent.query), questionOf(msg), `${text} over ${via}: forwarded with its case`);
      t.same(questionOf(raw), questionOf(msg), `${text} over ${via}: question bytes as sent`);
      t.same(raw.subarray(2), sent.reply!.subarray(2), `${text} over ${via}: relayed unchanged`);
      t.equal(decodeReply(raw).rcode, RCODE.NOERROR, `${text} over ${via}: answered`);
    }
  }
  const v = parseDigOutput(await dig(gw.port, ['bAd.ExAmPlE.cOm', 'A']));
  t.equal(v.status, 'NXDOMAIN', 'dig: blocked');
  t.match(v.text, /;bAd\.ExAmPlE\.cOm\.\s+IN\s+A/, 'dig: question case kept');
  t.same(stub.asked, ['ads.example.com', 'ads.example.com', 'ok.example.net', 'ok.example.net']);
  t.equal(await gw.count('blocked'), 5);
  t.equal(await gw.count('forwarded'), 4);
});

t.test('PUB-023: 255 octets processed, 256 octets and a 0x40 length byte get FORMERR, a literal dot echoed', async (t) => {
  const stub = await new UpstreamStub(ZONE).start(t);
  const listedTail = `${'w'.repeat(57)}.com`;
  const gw = await startGateway(t, {
    upstreams: [stub.upstream],
    feeds: [{ name: 'bad', format: 'text', type: 'domain', body: `bad.example.com\n${listedTail}\n` }],
  });
  const [a, b, c] = ['a', 'b', 'c'].map((ch) => ch.repeat(63));

  // 1 + 64 * 3 + 62 = 255 octets, unlisted: forwarded, the stub's reply relayed.
  const long = query([a!, b!, c!, 'd'.repeat(61)], 'A', { id: 0x0255 });
  t.equal(questionOf(long).length, 255 + 4, 'the name is 255 octets');
  const forwarded = (await udpExchange(gw.port, long))!;
  t.ok(forwarded, '255 octets, unlisted: answered');
  t.equal(stub.log.at(-1)?.name, [a, b, c, 'd'.repeat(61)].join('.'), 'and forwarded');
  t.same(forwarded.subarray(2), stub.log.at(-1)!.reply!.subarray(2), 'and relayed');

  // 1 + 64 * 3 + 58 + 4 = 255 octets, below a listed name: blocked.
  const longBlocked = query([a!, b!, c!, 'w'.repeat(57), 'com'], 'A', { id: 0x0256 });
  t.equal(questionOf(longBlocked).length, 255 + 4);
  const blockedRaw = (await tcpExchange(gw.port, longBlocked))!;
  const blocked = decodeReply(blockedRaw);
  t.equal(blocked.rcode, RCODE.NXDOMAIN, '255 octets below a listed name: blocked');
  t.same(questionOf(blockedRaw), questionOf(longBlocked), 'question echoed');

  const asked = stub.log.length;
  const over = query([a!, b!, c!, 'd'.repeat(62)], 'A', { id: 0x1256 });
  const reserved = Buffer.concat([
    header(0x1040, 0x0100, 1),
    Buffer.from([0x40]),
    Buffer.alloc(64, 0x61),
    nameBytes(['com']),
    u16(1),
    u16(1),
  ]);
  for (const [what, msg] of [['256 octets', over], ['length byte 0x40', reserved]] as const) {
    for (const via of ['udp', 'tcp'] as const) {
      const raw = via === 'udp' ? await udpExchange(gw.port, msg) : await tcpExchange(gw.port, msg);
      t.ok(raw, `${what} over ${via}: answered`);
      if (!raw) continue;
      t.same(
        [raw.length, raw.readUInt16BE(0), raw.readUInt16BE(2) & 0x800f],
        [12, msg.readUInt16BE(0), 0x8000 | RCODE.FORMERR],
        `${what} over ${via}: header-only FORMERR with the client's id`,
      );
    }
  }
  t.equal(stub.log.length, asked, 'neither went upstream');
  t.equal(await gw.count('malformed'), 4, 'all four counted as malformed');

  // A label holding 'bad.example' then 'com': echoed as one 11-octet label, never re-split.
  const dotted = query([Buffer.from('bad.example'), 'com'], 'A', { id: 0x0b0b, edns: {} });
  for (const via of ['udp', 'tcp'] as const) {
    const raw = (via === 'udp' ? await udpExchange(gw.port, dotted) : await tcpExchange(gw.port, dotted))!;
    t.same(questionOf(raw), questionOf(dotted), `literal dot over ${via}: question bytes as sent`);
    t.equal(raw[12], 11, `literal dot over ${via}: first label still 11 octets`);
    t.equal(raw.readUInt16BE(4), 1, `literal dot over ${via}: one question`);
  }
  const dottedOk = query([Buffer.from('ok.example'), 'net'], 'A', { id: 0x0c0c });
  const relayed = (await udpExchange(gw.port, dottedOk))!;
  t.same(questionOf(stub.log.at(-1)!.query), questionOf(dottedOk), 'a forwarded literal-dot label goes upstream as sent');
  t.same(questionOf(relayed), questionOf(dottedOk), 'and comes back as sent');
  const v = parseDigOutput(await dig(gw.port, ['bad\\.example.com', 'A']));
  t.match(v.text, /;bad\\\.example\.com\.\s+IN\s+A/, 'dig shows the escaped dot in the question it got back');
});

t.test('PUB-024: junk is dropped or FORMERR and counted, a stalled TCP client is closed, service goes on', async (t) => {
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  process.on('unhandledRejection', onRejection);
  t.teardown(() => void process.off('unhandledRejection', onRejection));

  const stub = await new UpstreamStub(ZONE).start(t);
  const gw = await startGateway(t, { upstreams: [stub.upstream] });

  // The stalled client: a length prefix of 256, 20 bytes, then silence.
  const stalled = await tcpConnect(gw.port);
  t.teardown(() => stalled.destroy());
  stalled.on('error', () => undefined);
  const stalledAt = process.hrtime.bigint();
  let stalledClosedAfter: number | undefined;
  const stalledClosed = new Promise<void>((resolve) =>
    stalled.on('close', () => {
      stalledClosedAfter = ms(stalledAt);
      resolve();
    }),
  );
  stalled.write(Buffer.concat([Buffer.from([0x01, 0x00]), Buffer.alloc(20, 0x41)]));

  const junk: Array<[string, string, number | undefined]> = [
    ['ASCII text', '746573740a', undefined],
    ['5 bytes', '0102030405', undefined],
    ['question cut off', '12340100000100000000000003616263', 0x1234],
    ['OPT owner byte corrupted', '0a0b01000001000000000001076578616d706c6503636f6d00000100010100291000000000000000', 0x0a0b],
  ];
  for (const [what, hex, id] of junk) {
    const raw = await udpExchange(gw.port, Buffer.from(hex, 'hex'), id === undefined ? 300 : 2000);
    if (id === undefined) {
      t.equal(raw, undefined, `${what}: dropped`);
    } else {
      t.ok(raw, `${what}: answered`);
      if (raw) t.same([raw.length, raw.readUInt16BE(0), raw.readUInt16BE(2) & 0x800f], [12, id, 0x8001], `${what}: FORMERR`);
    }
  }
  t.equal(await gw.count('malformed'), 4, 'all four counted as malformed');

  // Others are not delayed by the stalled connection.
  const valid = query('ok.example.com', 'A', { id: 0x600d });
  let start = process.hrtime.bigint();
  const udp = await udpExchange(gw.port, valid);
  const tcp = await tcpExchange(gw.port, valid);
  const took = ms(start);
  t.match(udp && decodeReply(udp).packet.answers, [{ data: '192.0.2.79' }], 'UDP answered');
  t.match(tcp && decodeReply(tcp).packet.answers, [{ data: '192.0.2.79' }], 'TCP answered');
  t.ok(took < 1000, `promptly (${took.toFixed(0)} ms)`);
  t.equal(stalledClosedAfter, undefined, 'while the stalled connection is still open');

  await Promise.race([stalledClosed, sleep(TCP_IDLE_TIMEOUT_MS + 3000)]);
  t.ok(stalledClosedAfter !== undefined, `the stalled connection was closed (after ${stalledClosedAfter?.toFixed(0)} ms)`);
  t.ok(stalledClosedAfter !== undefined && stalledClosedAfter >= TCP_IDLE_TIMEOUT_MS - 500, 'by the idle timeout');

  start = process.hrtime.bigint();
  t.ok(await udpExchange(gw.port, valid), 'UDP still answered afterwards');
  t.ok(await tcpExchange(gw.port, valid), 'TCP still answered afterwards');
  t.equal(parseDigOutput(await dig(gw.port, ['+tcp', 'ok.example.com', 'A'])).status, 'NOERROR', 'and dig +tcp too');
  t.same(rejections, [], 'no unhandled rejection');
  t.equal(process.exitCode ?? 0, 0, 'process alive and not failing');
  t.equal(await gw.count('malformed'), 4, 'the stalled bytes were never taken for a message');
});

t.test('PUB-025: EDNS version, unknown options, OPT presence and UDP size for blocked names', async (t) => {
  const stub = await new UpstreamStub(ZONE).start(t);
  const gw = await startGateway(t, { upstreams: [stub.upstream] });

  // dig +norec +edns=1 +noednsneg: BADVERS, OPT version 0, no answer, promptly.
  let start = process.hrtime.bigint();
  const badvers = parseDigOutput(await dig(gw.port, ['+norec', '+edns=1', '+noednsneg', 'bad.example.com', 'A']));
  t.equal(badvers.status, 'BADVERS', 'EDNS version 1: BADVERS');
  t.ok(ms(start) < 2000, 'promptly, not a timeout');
  t.equal(badvers.ednsVersion, 0, 'with an OPT of version 0');
  t.same(badvers.answer, [], 'no answer');
  t.same(badvers.authority, [], 'no authority');
  const raw = decodeReply((await udpExchange(gw.port, query('bad.example.com', 'A', { id: 0xed01, edns: { version: 1 } })))!);
  t.equal(raw.fullRcode, RCODE.BADVERS, 'raw: extended RCODE 16');
  t.equal(raw.rcode, 0, 'raw: lower four bits in the header are 0');
  t.equal(raw.opt?.extendedRcode, 1, 'raw: upper eight bits in the OPT are 1');
  t.equal(raw.opt?.ednsVersion, 0, 'raw: OPT version 0');
  t.same(raw.counts, [1, 0, 0, 1]);
  const kv = parseDigOutput(await kdig(gw.port, ['+edns=1', 'bad.example.com', 'A']));
  t.equal(kv.status, 'BADVERS', 'kdig +edns=1: BADVERS');

  // dig +norec +ednsopt=100: the unknown option is not echoed.
  const opt100 = parseDigOutput(await dig(gw.port, ['+norec', '+ednsopt=100', 'bad.example.com', 'A']));
  t.equal(opt100.status, 'NXDOMAIN');
  t.notMatch(opt100.text, /OPT=100|COOKIE/, 'neither option 100 nor the cookie comes back');
  t.equal(opt100.ede, '15 (Blocked)');
  const rawOpt = decodeReply(
    (await udpExchange(
      gw.port,
      query('bad.example.com', 'A', {
        edns: {
          options: [
            { code: 100, data: Buffer.from('abcd') },
            { code: 10, data: Buffer.alloc(8, 1) },
            { code: 65001, data: Buffer.alloc(0) },
          ],
        },
      }),
    ))!,
  );
  t.same(rawOpt.opt?.options?.map((o) => o.code), [15], 'raw: only EDE (15) in the reply');

  // dig +noedns: no OPT in the reply.
  const noedns = parseDigOutput(await dig(gw.port, ['+noedns', 'bad.example.com', 'A']));
  t.equal(noedns.status, 'NXDOMAIN');
  t.notMatch(noedns.text, /OPT PSEUDOSECTION/, 'no OPT without EDNS in the query');
  t.match(noedns.text, /ADDITIONAL: 0/);
  const withEdns = parseDigOutput(await dig(gw.port, ['bad.example.com', 'A']));
  t.match(withEdns.text, /OPT PSEUDOSECTION/, 'an OPT when the query had one');

  // dig +bufsize=512: honoured.
  const small = parseDigOutput(await dig(gw.port, ['+bufsize=512', 'bad.example.com', 'A']));
  t.equal(small.status, 'NXDOMAIN');
  t.ok(small.size !== undefined && small.size <= 512, `the reply (${small.size} bytes) fits in 512`);
  t.notOk(small.flags.includes('tc'), 'and is whole');
  const cut = decodeReply((await udpExchange(gw.port, query('big.example.net', 'TXT', { edns: { udp: 512 } })))!);
  t.ok(cut.raw.length <= 512 && cut.tc, 'a forwarded answer over 512 bytes is truncated for a 512-byte client');

  // Allowed names: forwarded and relayed as is, whatever the EDNS.
  start = process.hrtime.bigint();
  const variants = [
    ['EDNS version 1', { version: 1 }],
    ['option 100', { options: [{ code: 100, data: Buffer.from('abcd') }] }],
    ['no EDNS', undefined],
    ['bufsize 512', { udp: 512 }],
  ] as const;
  for (const [what, edns] of variants) {
    const msg = query('ok.example.net', 'A', { id: 0x2500, ...(edns ? { edns } : {}) });
    const reply = (await udpExchange(gw.port, msg))!;
    const sent = stub.log.at(-1)!;
    t.equal(sent.name, 'ok.example.net', `${what}: forwarded`);
    t.same(sent.query.subarray(2), msg.subarray(2), `${what}: forwarded as sent`);
    t.equal(reply.readUInt16BE(0), 0x2500, `${what}: client id`);
    t.same(reply.subarray(2), sent.reply!.subarray(2), `${what}: relayed byte for byte but the id`);
  }
  t.equal(await gw.count('forwarded'), variants.length + 1);
});
