// A DNS-over-HTTPS upstream (RFC 8484) on loopback with a certificate made for the test.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { Agent } from 'undici';
import { Forwarder } from '../../src/dns/forwarder.js';
import { parseQuery } from '../../src/dns/wire.js';
import { query } from './harness.js';

t.test('queries go to an https:// upstream as DNS messages over POST, ids restored', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-doh-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  const cert = readFileSync(join(dir, 'cert.pem'));
  const seen: Array<{ method: string; type: string; id: number }> = [];
  const server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const q = dnsPacket.decode(body);
      seen.push({ method: req.method!, type: String(req.headers['content-type']), id: q.id! });
      if (q.questions![0]!.name === 'down.example.net') {
        res.writeHead(502).end();
        return;
      }
      const reply = dnsPacket.encode({ type: 'response', id: q.id, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE, questions: q.questions,
        answers: [{ type: 'A', name: q.questions![0]!.name, ttl: 60, class: 'IN', data: '192.0.2.53' }] });
      res.writeHead(200, { 'content-type': 'application/dns-message' }).end(reply);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const { port } = server.address() as { port: number };
  const agent = new Agent({ connect: { ca: cert } });
  t.teardown(() => agent.close());
  const forwarder = new Forwarder([{ host: '', port: 0, url: `https://127.0.0.1:${port}/dns-query` }], 2000, () => undefined, agent);
  t.teardown(() => forwarder.close());

  const msg = query('Doh.Example.Net', 'A', { id: 0x1234 });
  const parsed = parseQuery(msg);
  if (!parsed.ok) throw new Error(parsed.reason);
  const reply = await forwarder.forward(msg, parsed.query, false);
  t.ok(reply, 'answered');
  const decoded = dnsPacket.decode(reply!);
  t.equal(decoded.id, 0x1234, 'the client id comes back');
  t.match(decoded.answers, [{ data: '192.0.2.53' }]);
  t.same(seen[0], { method: 'POST', type: 'application/dns-message', id: 0 }, 'POST, RFC 8484 media type, id 0 on the wire');

  const failing = query('down.example.net', 'A', { id: 7 });
  const p2 = parseQuery(failing);
  if (!p2.ok) throw new Error(p2.reason);
  t.equal(await forwarder.forward(failing, p2.query, false), undefined, 'an HTTP error is a failed try: the client gets SERVFAIL');
});
