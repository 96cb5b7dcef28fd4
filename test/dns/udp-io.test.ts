// The two ways the DNS server reads and writes UDP give the same answers: the batched helper
// (recvmmsg/sendmmsg, built at install) and Node's own socket (`dns.udp_io: node`, or where
// the helper could not be built). Each case runs on both.
import t from 'tap';
import { createSocket } from 'node:dgram';
import { batchUdp } from '../../src/dns/batch-udp.js';
import { DnsServer } from '../../src/dns/server.js';
import { silentLogger } from '../helpers/quiet.js';
import { decodeReply, dig, parseDigOutput, query, sleep, startGateway, udpClient, udpExchange, UpstreamStub, type StubRecord } from './harness.js';

const ZONE: Record<string, StubRecord[]> = {
  'ok.example.net': [{ type: 'A', data: '192.0.2.80' }],
  // About 2.5 kB: truncated over UDP for a client without EDNS.
  'big.example.net': [{ type: 'TXT', data: Array.from({ length: 12 }, () => 'x'.repeat(200)) }],
};
const NXDOMAIN = 3;
const REFUSED = 5;

t.test('the helper is built in this checkout, so the batched path is the one tested', async (t) => {
  t.ok(batchUdp(), 'native/dns-udp was built by npm ci (scripts/build-native.mjs)');
});

for (const udp of ['auto', 'node'] as const) {
  const mode = udp === 'auto' ? 'batched' : 'node';

  t.test(`${mode}: dig gets the block answer and the forwarded answer, case kept`, async (t) => {
    const stub = await new UpstreamStub(ZONE).start(t);
    const gw = await startGateway(t, { upstreams: [stub.upstream], udp });
    t.equal(gw.server.udpMode, mode);
    const blocked = parseDigOutput(await dig(gw.port, ['wWw.BaD.eXample.com', 'A']));
    t.equal(blocked.status, 'NXDOMAIN');
    t.match(blocked.text, /;wWw\.BaD\.eXample\.com\.\s+IN\s+A/, "the client's letter case is kept");
    t.match(blocked.ede, /Blocked/);
    const allowed = parseDigOutput(await dig(gw.port, ['ok.example.net', 'A']));
    t.equal(allowed.status, 'NOERROR');
    t.match(allowed.answer.join('\n'), /192\.0\.2\.80/, 'the upstream answer, sent after the batch it came in');
    t.same(
      gw.hits.map((h) => h.client),
      ['127.0.0.1'],
      'the client address reaches the handler',
    );
  });

  t.test(`${mode}: an answer over the client's UDP size is truncated, with TC set`, async (t) => {
    const stub = await new UpstreamStub(ZONE).start(t);
    const gw = await startGateway(t, { upstreams: [stub.upstream], udp });
    const reply = decodeReply((await udpExchange(gw.port, query('big.example.net', 'TXT')))!);
    t.ok(reply.tc, 'TC set');
    t.ok(reply.raw.length <= 512, `${reply.raw.length} bytes, within 512`);
  });

  t.test(`${mode}: the client address is the one the ACL judges`, async (t) => {
    const stub = await new UpstreamStub(ZONE).start(t);
    const gw = await startGateway(t, { upstreams: [stub.upstream], udp, acl: ['10.0.0.0/8'] });
    const reply = decodeReply((await udpExchange(gw.port, query('ok.example.net', 'A')))!);
    t.equal(reply.rcode, REFUSED, '127.0.0.1 is outside 10.0.0.0/8');
    t.equal(stub.log.length, 0, 'nothing forwarded');
  });

  t.test(`${mode}: waves of blocked, forwarded and junk datagrams from one socket each get their own answer`, async (t) => {
    const stub = await new UpstreamStub(ZONE).start(t);
    const gw = await startGateway(t, { upstreams: [stub.upstream], udp });
    const { socket, replies } = await udpClient(t);
    const WAVES = 6;
    const PER_WAVE = 100;
    const expected = new Map<number, number>();
    let junk = 0;
    for (let wave = 0; wave < WAVES; wave++) {
      const start = replies.length;
      let sent = 0;
      for (let i = 0; i < PER_WAVE; i++) {
        const id = wave * PER_WAVE + i + 1;
        if (i % 10 === 9) {
          // Not DNS: too short for a header, so no id to answer to.
          socket.send(Buffer.from([id & 0xff, 1, 2]), gw.port, '127.0.0.1');
          junk++;
          continue;
        }
        const blocked = i % 2 === 0;
        socket.send(query(blocked ? `n${id}.bad.example.com` : 'ok.example.net', 'A', { id }), gw.port, '127.0.0.1');
        expected.set(id, blocked ? NXDOMAIN : 0);
        sent++;
      }
      const deadline = Date.now() + 5_000;
      while (replies.length - start < sent && Date.now() < deadline) await sleep(10);
    }
    await sleep(100);
    const seen = new Map<number, number>();
    let twice = 0;
    for (const raw of replies) {
      const r = decodeReply(raw);
      if (seen.has(r.id)) twice++;
      seen.set(r.id, r.rcode);
    }
    t.equal(twice, 0, 'no query answered twice');
    const wrong = [...expected].filter(([id, rcode]) => seen.get(id) !== rcode);
    t.same(wrong, [], `all ${expected.size} queries answered with their own rcode`);
    t.equal(seen.size, expected.size, 'no answer to junk');
    t.equal(await gw.count('malformed'), junk, `${junk} junk datagrams counted`);
  });

  t.test(`${mode}: listens on ::1`, async (t) => {
    const stub = await new UpstreamStub(ZONE).start(t);
    const gw = await startGateway(t, { upstreams: [stub.upstream], udp });
    const server = new DnsServer(gw.handler, silentLogger, { udp });
    t.teardown(() => server.close());
    await server.listen([{ host: '::1', port: 0 }]);
    const client = createSocket('udp6');
    t.teardown(() => client.close());
    const reply = await new Promise<Buffer>((resolve) => {
      client.once('message', resolve);
      client.send(query('bad.example.com', 'A'), server.bound[0]!.port, '::1');
    });
    t.equal(decodeReply(reply).rcode, NXDOMAIN);
    t.equal(gw.hits.at(-1)?.client, '::1', 'the IPv6 client address');
  });

  t.test(`${mode}: closing with an upstream answer still pending sends nothing and frees the port`, async (t) => {
    // An upstream that never answers, so the query is still waiting when the server closes.
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    t.teardown(() => silent.close());
    const gw = await startGateway(t, { upstreams: [{ host: '127.0.0.1', port: silent.address().port }], udp, timeoutMs: 300 });
    const { socket, replies } = await udpClient(t);
    socket.send(query('ok.example.net', 'A'), gw.port, '127.0.0.1');
    await sleep(50);
    await gw.server.close();
    await sleep(600);
    t.equal(replies.length, 0, 'no reply after close');
    const again = createSocket('udp4');
    const bound = await new Promise<boolean>((resolve) => {
      again.once('error', () => resolve(false));
      again.bind(gw.port, '127.0.0.1', () => resolve(true));
    });
    again.close();
    t.ok(bound, 'the port is free again');
  });
}

t.test('batched: a datagram over 4096 bytes is dropped and counted, and the next query is answered', async (t) => {
  const stub = await new UpstreamStub(ZONE).start(t);
  const gw = await startGateway(t, { upstreams: [stub.upstream], udp: 'auto' });
  const huge = Buffer.concat([query('bad.example.com', 'A'), Buffer.alloc(5000, 0x41)]);
  t.equal(await udpExchange(gw.port, huge, 500), undefined, 'no answer to a cut-short datagram');
  t.equal(await gw.count('malformed'), 1, 'counted as malformed');
  const reply = await udpExchange(gw.port, query('bad.example.com', 'A'));
  t.equal(decodeReply(reply!).rcode, NXDOMAIN, 'normal queries still answered');
});

for (const udp of ['auto', 'node'] as const) {
  t.test(`${udp === 'auto' ? 'batched' : 'node'}: a listen host given as a name is looked up, as before`, async (t) => {
    const stub = await new UpstreamStub(ZONE).start(t);
    const gw = await startGateway(t, { upstreams: [stub.upstream], udp });
    const server = new DnsServer(gw.handler, silentLogger, { udp });
    t.teardown(() => server.close());
    await server.listen([{ host: 'localhost', port: 0 }]);
    const reply = await udpExchange(server.bound[0]!.port, query('bad.example.com', 'A'));
    t.equal(decodeReply(reply!).rcode, NXDOMAIN, 'answers on 127.0.0.1');
  });
}

t.test('batched: shared-port sockets on port 0 never land on a port another one holds', async (t) => {
  // With SO_REUSEPORT alone the kernel may hand out a port a same-user SO_REUSEPORT socket
  // already holds (seen: 67 of 2,000); the helper takes its port with an exclusive probe.
  const io = batchUdp()!;
  const sockets = Array.from({ length: 500 }, () => io.open('127.0.0.1', 0, 2, () => []));
  t.teardown(() => sockets.forEach((s) => io.close(s)));
  const ports = sockets.map((s) => io.port(s));
  t.equal(new Set(ports).size, ports.length, `${ports.length} sockets, ${new Set(ports).size} ports`);
});
