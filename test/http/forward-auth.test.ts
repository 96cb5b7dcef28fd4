// /v1/forward-auth over a real socket: the peer address is part of what is tested, and hono's
// in-process requests have none. Requests go out with node:http so Host can be set freely.
import t, { type Test } from 'tap';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { silentLogger } from '../helpers/quiet.js';
import { matcherFor } from '../helpers/feeds.js';
import { buildApp } from '../../src/http/app.js';
import type { ForwardAuthHit, ForwardAuthSettings } from '../../src/http/context.js';
import { TokenAuth } from '../../src/http/auth.js';
import { AddressSet } from '../../src/match/cidr/address-set.js';
import { MatcherHolder } from '../../src/match/holder.js';
import { Metrics } from '../../src/metrics/registry.js';

const LONG_PATH = `/${'a'.repeat(300)}`;

interface Options {
  loaded?: boolean;
  forwardAuth?: { check: ForwardAuthSettings['check']; trusted: string[] };
  token?: string;
}

async function start(t: Test, options: Options = {}) {
  const holder = new MatcherHolder();
  if (options.loaded !== false) {
    holder.swap(
      matcherFor(
        [
          { name: 'doms', format: 'text', type: 'domain', confidence: 80, body: 'bad.example.com\n' },
          { name: 'weak', format: 'text', confidence: 45, body: 'meh.example.com\n' },
          { name: 'urls', format: 'text', type: 'url', confidence: 90, body: `http://good.example.org/malware.exe\nhttp://good.example.org${LONG_PATH}\n` },
          { name: 'ips', format: 'text', type: 'ip', confidence: 90, body: '203.0.113.7\n' },
          { name: 'ips2', format: 'text', type: 'ip', confidence: 90, body: '203.0.113.7\n' },
        ],
        'safe.bad.example.com\n',
      ),
    );
  }
  const metrics = new Metrics();
  const hits: ForwardAuthHit[] = [];
  const fa = options.forwardAuth;
  const app = buildApp({
    holder,
    metrics,
    logger: silentLogger,
    auth: new TokenAuth(options.token ? [{ name: 'nginx', secret: options.token, scopes: ['verdict'] }] : [], AddressSet.fromCidrs(['127.0.0.0/8'])),
    verdictAuth: options.token ? 'token' : 'open',
    onHit: (hit) => hits.push(hit),
    ...(fa ? { forwardAuth: { check: fa.check, trustedProxies: AddressSet.fromCidrs(fa.trusted) } } : {}),
  });
  const port = await new Promise<number>((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => resolve(info.port));
    t.teardown(() => new Promise<void>((done) => server.close(() => done())));
  });
  return { port, metrics, hits };
}

interface Answer {
  status: number;
  verdict: string;
  reason: string;
  body: string;
}

/** A GET to /v1/forward-auth from `from` (a loopback address) with the given headers. */
function ask(port: number, headers: Record<string, string>, from = '127.0.0.1', method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/v1/forward-auth', method, localAddress: from, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode!, verdict: String(res.headers['x-sluice-verdict']), reason: String(res.headers['x-sluice-reason']), body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function count(metric: { get(): Promise<{ values: Array<{ labels: Record<string, unknown>; value: number }> }> }, labels: Record<string, string>) {
  const { values } = await metric.get();
  return values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))?.value ?? 0;
}

const nginx = (url: string, host: string, client = '198.51.100.20') => ({
  Host: '127.0.0.1:9999', // nginx's proxy_pass sets Host to the upstream, sluice itself
  'X-Original-URL': url,
  'X-Forwarded-Host': host,
  'X-Forwarded-For': client,
});
const traefik = (proto: string, host: string, uri: string, client = '198.51.100.20') => ({
  Host: '127.0.0.1:9999',
  'X-Forwarded-Method': 'GET',
  'X-Forwarded-Proto': proto,
  'X-Forwarded-Host': host,
  'X-Forwarded-Uri': uri,
  'X-Forwarded-For': client,
});
// Caddy's forward_auth keeps the original Host and adds the same X-Forwarded-* set.
const caddy = (proto: string, host: string, uri: string, client = '198.51.100.20') => ({ ...traefik(proto, host, uri, client), Host: host });

t.test('nginx: X-Original-URL and X-Forwarded-Host', async (t) => {
  const { port } = await start(t);
  t.match(await ask(port, nginx('http://bad.example.com/x', 'bad.example.com')), {
    status: 403,
    verdict: 'block',
    reason: 'host bad.example.com listed by feed doms',
    body: 'blocked by sluice\n',
  });
  t.match(await ask(port, nginx('http://good.example.org/malware.exe', 'good.example.org')), {
    status: 403,
    verdict: 'block',
    reason: 'url http://good.example.org/malware.exe listed by feed urls',
  });
  t.match(await ask(port, nginx('http://www.bad.example.com:8080/', 'www.bad.example.com:8080')), {
    status: 403,
    reason: 'host www.bad.example.com listed as bad.example.com by feed doms',
  });
  t.match(await ask(port, nginx('https://good.example.org/fine', 'good.example.org')), { status: 200, verdict: 'allow', reason: 'not listed', body: '' });
  // A path-only X-Original-URL (IIS style) takes its host from X-Forwarded-Host.
  t.match(await ask(port, nginx('/malware.exe', 'good.example.org')), { status: 403, reason: /^url http:\/\/good\.example\.org\/malware\.exe/ });
});

t.test('Traefik and Caddy: X-Forwarded-Proto, -Host and -Uri', async (t) => {
  const { port } = await start(t);
  for (const [style, headers] of [
    ['traefik', traefik],
    ['caddy', caddy],
  ] as const) {
    t.match(await ask(port, headers('https', 'good.example.org', '/malware.exe')), { status: 403, verdict: 'block', reason: 'url https://good.example.org/malware.exe listed as http://good.example.org/malware.exe by feed urls' }, style);
    t.match(await ask(port, headers('wss', 'good.example.org', '/malware.exe')), { status: 403 }, `${style} websocket`);
    t.match(await ask(port, headers('http', 'bad.example.com', '/')), { status: 403, reason: 'host bad.example.com listed by feed doms' }, style);
    t.match(await ask(port, headers('https', 'good.example.org', '/ok?q=1')), { status: 200, verdict: 'allow', reason: 'not listed' }, style);
    t.match(await ask(port, headers('https', 'good.example.org', '/', '203.0.113.7')), { status: 403, reason: 'client 203.0.113.7 listed by feeds ips, ips2' }, style);
  }
  // Host and X-Forwarded-Uri alone make a URL too.
  t.match(await ask(port, { Host: 'good.example.org', 'X-Forwarded-Uri': '/malware.exe' }), { status: 403, reason: /^url http:\/\/good\.example\.org\/malware\.exe/ });
});

t.test('any method is answered: nginx subrequests keep the original method', async (t) => {
  const { port } = await start(t);
  t.match(await ask(port, nginx('http://bad.example.com/form', 'bad.example.com'), '127.0.0.1', 'POST'), { status: 403 });
  t.match(await ask(port, nginx('http://bad.example.com/', 'bad.example.com'), '127.0.0.1', 'HEAD'), { status: 403, verdict: 'block' });
});

t.test('the client is the right-most X-Forwarded-For hop that is not a trusted proxy', async (t) => {
  const { port } = await start(t, { forwardAuth: { check: ['client'], trusted: ['127.0.0.1/32', '192.0.2.0/24'] } });
  const from = (xff: Record<string, string>) => ask(port, { Host: 'x', ...xff });
  t.match(await from({ 'X-Forwarded-For': '203.0.113.7' }), { status: 403, reason: /^client 203\.0\.113\.7 / });
  t.match(await from({ 'X-Forwarded-For': '203.0.113.7, 192.0.2.1, 192.0.2.2' }), { status: 403 }, 'trusted hops skipped');
  t.match(await from({ 'X-Forwarded-For': '203.0.113.7:41234' }), { status: 403 }, 'a port is dropped');
  t.match(await from({ 'X-Forwarded-For': '203.0.113.7, 198.51.100.20' }), { status: 200, reason: 'not listed' }, 'a spoofed left hop does not count');
  t.match(await from({ 'X-Forwarded-For': '203.0.113.7', 'X-Real-IP': '198.51.100.20' }), { status: 403 }, 'X-Forwarded-For before X-Real-IP');
  t.match(await from({ 'X-Real-IP': '203.0.113.7' }), { status: 403 }, 'X-Real-IP');
  t.match(await from({ 'X-Forwarded-For': 'unknown' }), { status: 200, reason: 'unreadable client' });
  t.match(await from({}), { status: 200, reason: 'not listed' }, 'no header: the proxy itself, 127.0.0.1');
});

t.test('an untrusted peer: its X-Forwarded-For is ignored, its URL and host are still checked', async (t) => {
  const { port } = await start(t);
  // 127.0.0.2 is loopback but not in the default trusted_proxies (127.0.0.1/32, ::1/128).
  const spoofed = { ...nginx('http://x.example.net/', 'x.example.net'), 'X-Forwarded-For': '203.0.113.7', 'X-Real-IP': '203.0.113.7' };
  t.match(await ask(port, spoofed, '127.0.0.2'), { status: 200, reason: 'not listed' });
  t.match(await ask(port, nginx('http://bad.example.com/', 'bad.example.com'), '127.0.0.2'), { status: 403 });

  const trusting = await start(t, { forwardAuth: { check: ['client', 'host', 'url'], trusted: ['127.0.0.2/32'] } });
  t.match(await ask(trusting.port, spoofed, '127.0.0.2'), { status: 403, reason: /^client 203\.0\.113\.7 / }, 'once trusted, believed');
});

t.test('each check can be turned off', async (t) => {
  const cases: Array<[ForwardAuthSettings['check'], Record<string, string>, number]> = [
    [['client'], nginx('http://bad.example.com/', 'bad.example.com'), 200],
    [['client'], nginx('http://x.example.net/', 'x.example.net', '203.0.113.7'), 403],
    [['host'], nginx('http://bad.example.com/', 'bad.example.com'), 403],
    [['host'], nginx('http://good.example.org/malware.exe', 'good.example.org'), 200],
    [['host'], nginx('http://x.example.net/', 'x.example.net', '203.0.113.7'), 200],
    // The URL lookup checks the URL's host as well, as /v1/verdict?url= does.
    [['url'], nginx('http://bad.example.com/', 'x.example.net'), 403],
    [['url'], nginx('http://good.example.org/malware.exe', 'good.example.org'), 403],
    [['url', 'host'], nginx('http://x.example.net/', 'x.example.net', '203.0.113.7'), 200],
    [[], nginx('http://bad.example.com/', 'bad.example.com', '203.0.113.7'), 200],
  ];
  for (const [check, headers, status] of cases) {
    const { port } = await start(t, { forwardAuth: { check, trusted: ['127.0.0.1/32'] } });
    t.equal((await ask(port, headers)).status, status, `${check.join('+') || 'none'}: ${headers['X-Original-URL']} from ${headers['X-Forwarded-For']}`);
  }
  // With only `host`, the URL's host beats the Host header (which is sluice itself).
  const { port } = await start(t, { forwardAuth: { check: ['host'], trusted: ['127.0.0.1/32'] } });
  t.match(await ask(port, { Host: '127.0.0.1:9999', 'X-Original-URL': 'http://bad.example.com/' }), { status: 403, reason: /^host bad\.example\.com/ });
});

t.test('monitor and allowlisted values pass, saying why', async (t) => {
  const { port } = await start(t);
  t.match(await ask(port, nginx('http://meh.example.com/', 'meh.example.com')), { status: 200, verdict: 'monitor', reason: 'host meh.example.com listed by feed weak', body: '' });
  t.match(await ask(port, nginx('http://safe.bad.example.com/', 'safe.bad.example.com')), {
    status: 200,
    verdict: 'allow',
    reason: /^host safe\.bad\.example\.com allowlisted; url http:\/\/safe\.bad\.example\.com\/ allowlisted as safe\.bad\.example\.com$/,
  });
  // Block beats monitor whichever check finds it.
  t.match(await ask(port, nginx('http://good.example.org/malware.exe', 'meh.example.com')), { status: 403, reason: /^url / });
});

t.test('an unreadable or missing value is not checked, and counted', async (t) => {
  const { port, metrics } = await start(t);
  t.match(await ask(port, nginx('mailto:x@example.com', 'good.example.org')), { status: 200, verdict: 'allow', reason: 'unreadable url' });
  t.match(await ask(port, nginx('http://a..b/', 'a..b')), { status: 200, reason: 'unreadable host; unreadable url' });
  t.match(await ask(port, { Host: 'good.example.org' }), { status: 200, reason: 'no url' });
  t.equal(await count(metrics.verdicts, { type: 'unreadable', verdict: 'allow' }), 4);
  // Still a block where another check can read its value.
  t.match(await ask(port, nginx('mailto:x@example.com', 'bad.example.com')), { status: 403 });
});

t.test('reason headers are ASCII, one line, at most 200 characters', async (t) => {
  const { port } = await start(t);
  const answers = [
    await ask(port, nginx(`http://good.example.org${LONG_PATH}`, 'good.example.org')),
    await ask(port, nginx('http://bücher.bad.example.com/', 'bücher.bad.example.com')),
    await ask(port, nginx('http://x.example.net/\u00ff', 'x.example.net')),
  ];
  t.equal(answers[0]!.status, 403);
  t.match(answers[1], { status: 403, reason: 'host xn--bcher-kva.bad.example.com listed as bad.example.com by feed doms' }, 'IDN as punycode');
  for (const a of answers) {
    t.ok(/^[\x20-\x7e]{1,200}$/.test(a.reason), a.reason);
    t.ok(['allow', 'monitor', 'block'].includes(a.verdict));
  }
  t.match(answers[0]!.reason, /\.\.\.$/);
});

t.test('metrics count each lookup, and each listed entry once per request', async (t) => {
  const { port, metrics, hits } = await start(t);
  await ask(port, nginx('http://bad.example.com/', 'bad.example.com', '203.0.113.7'));
  t.equal(await count(metrics.verdicts, { type: 'ipv4', verdict: 'block' }), 1);
  t.equal(await count(metrics.verdicts, { type: 'domain', verdict: 'block' }), 1);
  t.equal(await count(metrics.verdicts, { type: 'url', verdict: 'block' }), 1);
  t.equal(await count(metrics.hits, { feed: 'doms', type: 'domain' }), 1, 'host and URL checks found one entry');
  t.equal(await count(metrics.hits, { feed: 'ips', type: 'ipv4' }), 1);
  t.equal(await count(metrics.hits, { feed: 'ips2', type: 'ipv4' }), 1);
  await ask(port, nginx('http://good.example.org/fine', 'good.example.org'));
  t.equal(await count(metrics.verdicts, { type: 'url', verdict: 'allow' }), 1);
  t.equal(await count(metrics.verdicts, { type: 'domain', verdict: 'allow' }), 1);

  await ask(port, nginx('http://meh.example.com/', 'meh.example.com'));
  t.same(hits, [
    { source: 'forward-auth', client: '203.0.113.7', value: '203.0.113.7', type: 'ipv4', verdict: 'block', indicator: '203.0.113.7', feeds: ['ips', 'ips2'] },
    { source: 'forward-auth', client: '198.51.100.20', value: 'meh.example.com', type: 'domain', verdict: 'monitor', indicator: 'meh.example.com', feeds: ['weak'] },
  ], 'one hit event per block or monitor answer');
});

t.test('before the first set every request passes, as DNS does', async (t) => {
  const { port, metrics } = await start(t, { loaded: false });
  t.match(await ask(port, nginx('http://bad.example.com/', 'bad.example.com')), { status: 200, verdict: 'allow', reason: 'no indicator set loaded yet' });
  t.equal(await count(metrics.verdicts, { verdict: 'allow' }), 0, 'no lookup, no verdict counted');
});

t.test("with verdict_auth token it needs a verdict-scope bearer, as the proxy's snippet sends", async (t) => {
  const { port } = await start(t, { token: 's3cret' });
  t.equal((await ask(port, nginx('http://bad.example.com/', 'bad.example.com'))).status, 401);
  t.equal((await ask(port, { ...nginx('http://ok.example.net/', 'ok.example.net'), Authorization: 'Bearer s3cret' })).status, 200);
  t.equal((await ask(port, { ...nginx('http://bad.example.com/', 'bad.example.com'), Authorization: 'Bearer s3cret' })).status, 403);
});
