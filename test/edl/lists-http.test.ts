import t from 'tap';
import { gunzipSync } from 'node:zlib';
import { pino } from 'pino';
import { silentLogger } from '../helpers/quiet.js';
import { matcherFor } from '../helpers/feeds.js';
import { buildApp } from '../../src/http/app.js';
import { TokenAuth } from '../../src/http/auth.js';
import { AddressSet } from '../../src/match/cidr/address-set.js';
import { MatcherHolder } from '../../src/match/holder.js';
import type { Matcher } from '../../src/match/matcher.js';
import { Metrics } from '../../src/metrics/registry.js';
import { listConfig, sample } from './fixture.js';

const LISTS = [
  listConfig({ name: 'fw-ips', types: ['ip'] }),
  listConfig({ name: 'fw-domains', types: ['domain'], format: 'fortigate', page_size: 2 }),
  listConfig({ name: 'zone', types: ['ip', 'domain'], format: 'rpz' }),
  listConfig({ name: 'table', types: ['domain'], format: 'csv' }),
  listConfig({ name: 'bundle', format: 'stix' }),
  listConfig({ name: 'capped', types: ['domain'], max_entries: 1 }),
  listConfig({ name: 'basic', types: ['ip'], auth: { username: 'fw', password_env: 'EDL_PASSWORD' } }),
  listConfig({ name: 'bearer', types: ['ip'], auth: { token_env: 'EDL_TOKEN' } }),
  listConfig({ name: 'unset', types: ['ip'], auth: { token_env: 'EDL_UNSET' } }),
];
const ENV = { EDL_PASSWORD: 'pa:ss-w0rd', EDL_TOKEN: 'list-token-0123456789' };

function app(options: { lists?: typeof LISTS; verdictAuth?: 'open' | 'token'; logger?: typeof silentLogger; matcher?: Matcher; tokens?: boolean } = {}) {
  const holder = new MatcherHolder();
  holder.swap(options.matcher ?? sample());
  const grants = options.tokens ? [{ name: 'gw', secret: 'gateway-token-0123456789', scopes: ['verdict' as const] }] : [];
  const http = buildApp({
    holder,
    metrics: new Metrics(),
    logger: options.logger ?? silentLogger,
    auth: new TokenAuth(grants, AddressSet.fromCidrs(['127.0.0.0/8'])),
    verdictAuth: options.verdictAuth ?? 'open',
    edl: options.lists ?? LISTS,
    env: ENV,
  });
  return { http, holder };
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

t.test('GET /edl/{name} serves each configured list in its format and content type', async (t) => {
  const { http } = app();
  const ips = await http.request('/edl/fw-ips');
  t.equal(ips.status, 200);
  t.equal(ips.headers.get('content-type'), 'text/plain; charset=utf-8');
  t.equal(await ips.text(), '192.0.2.0/24\n198.51.100.0/24\n203.0.113.9\n2001:db8::/32\n');
  const csv = await http.request('/edl/table');
  t.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8');
  t.match(await csv.text(), /^value,type,score,feeds,tags\nbad\.example\.com,domain,80,doms,phishing\n/);
  t.match(await (await http.request('/edl/zone')).text(), /^; sluice list zone, set version 1, 9 records\n\$ORIGIN rpz\.sluice\.\n/);

  const missing = await http.request('/edl/nosuch');
  t.equal(missing.status, 404);
  t.match(await missing.json(), { error: { code: 'SLUICE_ERR_NOT_FOUND', message: /no list nosuch; lists are ip\.txt, domain\.txt, url\.txt, hash\.txt, fw-ips, fw-domains/ } });
  t.equal(await (await http.request('/edl/ip.txt')).text(), '198.51.100.7\n203.0.113.9\n2001:db8:ffff::1\n192.0.2.0/25\n192.0.2.128/25\n198.51.100.0/24\n2001:db8:8000::/33\n2001:db8::/33\n', 'the built-in lists are as they were');
});

t.test('pages: ?page=N, page 1 by default, past the last an empty page, a bad number 400', async (t) => {
  const { http } = app();
  const first = await http.request('/edl/fw-domains');
  t.equal(await first.text(), '# 1 names listed without their *. form: allowlisted names lie below them\nbad.example.com\nevil.example.net\n');
  t.equal(first.headers.get('x-sluice-pages'), '2');
  t.equal(await (await http.request('/edl/fw-domains?page=2')).text(), '# 1 names listed without their *. form: allowlisted names lie below them\n*.evil.example.net\nexact.example.org\n');
  const past = await http.request('/edl/fw-domains?page=3');
  t.equal(past.status, 200);
  t.equal(await past.text(), '# sluice list fw-domains, set version 1, page 3 of 2: no entries\n# 1 names listed without their *. form: allowlisted names lie below them\n');
  for (const bad of ['0', '-1', 'x', '1.5', '9999999999']) {
    const res = await http.request(`/edl/fw-domains?page=${bad}`);
    t.equal(res.status, 400, bad);
    t.match(await res.json(), { error: { param: 'page' } });
  }
});

t.test('ETag per version, list and page; 304 on If-None-Match', async (t) => {
  const { http, holder } = app();
  const one = await http.request('/edl/fw-domains?page=1');
  const two = await http.request('/edl/fw-domains?page=2');
  const etag = one.headers.get('etag')!;
  t.match(etag, /^"1-[\w-]{16}"$/);
  t.not(two.headers.get('etag'), etag, 'pages differ');
  t.not((await http.request('/edl/fw-ips')).headers.get('etag'), etag, 'lists differ');
  const again = await http.request('/edl/fw-domains?page=1', { headers: { 'If-None-Match': etag } });
  t.equal(again.status, 304);
  t.equal(await again.text(), '');
  t.equal(again.headers.get('etag'), etag);
  t.equal((await http.request('/edl/fw-domains?page=2', { headers: { 'If-None-Match': etag } })).status, 200);

  const next = matcherFor([{ name: 'n', format: 'text', type: 'domain', body: 'new.example.com\n' }]);
  (next as { version: number }).version = 2;
  holder.swap(next);
  const changed = await http.request('/edl/fw-domains?page=1', { headers: { 'If-None-Match': etag } });
  t.equal(changed.status, 200, 'a new version is a new body');
  t.match(changed.headers.get('etag'), /^"2-/);
  t.equal(await changed.text(), 'new.example.com\n*.new.example.com\n');
});

t.test('gzip when the client accepts it, with its own validator', async (t) => {
  const { http } = app();
  const plain = await http.request('/edl/zone');
  const text = await plain.text();
  const res = await http.request('/edl/zone', { headers: { 'Accept-Encoding': 'br, gzip;q=0.8' } });
  t.equal(res.headers.get('content-encoding'), 'gzip');
  t.equal(res.headers.get('vary'), 'Accept-Encoding');
  t.equal(gunzipSync(Buffer.from(await res.arrayBuffer())).toString(), text);
  const etag = res.headers.get('etag')!;
  t.equal(etag, `${plain.headers.get('etag')!.slice(0, -1)}-gz"`);
  t.equal((await http.request('/edl/zone', { headers: { 'Accept-Encoding': 'gzip', 'If-None-Match': etag } })).status, 304);
  t.equal((await http.request('/edl/zone', { headers: { 'Accept-Encoding': 'gzip', 'If-None-Match': plain.headers.get('etag')! } })).status, 304, 'the identity validator names the same content');
  t.equal((await http.request('/edl/zone', { headers: { 'Accept-Encoding': 'gzip;q=0' } })).headers.get('content-encoding'), null);
});

t.test('lists are rendered once per set version, not per request', async (t) => {
  const matcher = sample();
  let reads = 0;
  const entryValue = matcher.entryValue.bind(matcher);
  matcher.entryValue = (e: number) => {
    reads++;
    return entryValue(e);
  };
  const { http } = app({ matcher });
  await http.request('/edl/fw-domains?page=1');
  const afterFirst = reads;
  t.ok(afterFirst > 0);
  for (let i = 0; i < 5; i++) {
    await http.request('/edl/fw-domains?page=2');
    await http.request('/edl/fw-domains?page=1', { headers: { 'Accept-Encoding': 'gzip' } });
  }
  t.equal(reads, afterFirst, 'later pulls and pages read no entry again');
});

t.test('a cut list says so in a comment and a header, and logs one warning per version', async (t) => {
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (s: string) => void lines.push(s) });
  const { http } = app({ logger });
  const res = await http.request('/edl/capped');
  t.equal(await res.text(), '# 2 entries with the lowest scores cut to fit max_entries 1\nexact.example.org\n', 'the exact-only name scores highest');
  t.equal(res.headers.get('x-sluice-cut'), '2');
  await http.request('/edl/capped');
  await http.request('/edl/capped', { headers: { 'Accept-Encoding': 'gzip' } });
  const cuts = lines.filter((l) => l.includes('cut to fit'));
  t.equal(cuts.length, 1);
  t.match(JSON.parse(cuts[0]!), { level: 40, list: 'capped', version: 1, cut: 2, max_entries: 1 });
});

t.test('basic and bearer auth per list, compared against the environment read at start', async (t) => {
  const { http } = app();
  const none = await http.request('/edl/basic');
  t.equal(none.status, 401);
  t.equal(none.headers.get('www-authenticate'), 'Basic realm="sluice", charset="UTF-8"');
  t.match(await none.json(), { error: { code: 'SLUICE_ERR_UNAUTHORIZED' } });
  t.equal((await http.request('/edl/basic', { headers: { Authorization: basic('fw', 'wrong') } })).status, 401);
  t.equal((await http.request('/edl/basic', { headers: { Authorization: basic('other', ENV.EDL_PASSWORD) } })).status, 401);
  t.equal((await http.request('/edl/basic', { headers: { Authorization: 'Basic !!!' } })).status, 401);
  const ok = await http.request('/edl/basic', { headers: { Authorization: basic('fw', ENV.EDL_PASSWORD) } });
  t.equal(ok.status, 200, 'a password with a colon in it');
  t.match(await ok.text(), /^192\.0\.2\.0\/24\n/);

  t.equal((await http.request('/edl/bearer')).headers.get('www-authenticate'), 'Bearer realm="sluice"');
  t.equal((await http.request('/edl/bearer', { headers: { Authorization: 'Bearer nope' } })).status, 401);
  t.equal((await http.request('/edl/bearer', { headers: { Authorization: `Bearer ${ENV.EDL_TOKEN}` } })).status, 200);
  t.equal((await http.request('/edl/fw-ips')).status, 200, 'a list without auth stays open');
});

t.test('a list whose secret is not set answers 503 naming the variable', async (t) => {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
  const { http } = app({ logger });
  for (const headers of [{}, { Authorization: 'Bearer anything' }]) {
    const res = await http.request('/edl/unset', { headers });
    t.equal(res.status, 503);
    t.match(await res.json(), { error: { code: 'SLUICE_ERR_CONFIG', message: 'list unset: environment variable EDL_UNSET (token_env) is not set' } });
  }
  t.ok(lines.some((l) => l.includes('EDL_UNSET')), 'logged at start');
  t.notOk(lines.some((l) => l.includes(ENV.EDL_PASSWORD) || l.includes(ENV.EDL_TOKEN)), 'no secret is ever logged');
});

t.test('stix serves a STIX 2.1 bundle of the list', async (t) => {
  const { http } = app();
  const res = await http.request('/edl/bundle');
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /application\/stix\+json;version=2\.1/);
  const bundle = (await res.json()) as { type: string; objects: Array<{ type: string; pattern?: string }> };
  t.equal(bundle.type, 'bundle');
  t.ok(bundle.objects.some((o) => o.type === 'indicator' && /\[(ipv4-addr|domain-name|url|file):/.test(o.pattern ?? '')), 'indicators with STIX patterns');
});

t.test('with verdict_auth token, a list with its own auth takes its own credentials only', async (t) => {
  const { http } = app({ verdictAuth: 'token', tokens: true });
  t.equal((await http.request('/edl/fw-ips')).status, 401, 'a list without auth needs a gateway token');
  t.equal((await http.request('/edl/fw-ips', { headers: { Authorization: 'Bearer gateway-token-0123456789' } })).status, 200);
  t.equal((await http.request('/edl/ip.txt', { headers: { Authorization: 'Bearer gateway-token-0123456789' } })).status, 200);
  t.equal((await http.request('/edl/basic', { headers: { Authorization: basic('fw', ENV.EDL_PASSWORD) } })).status, 200, 'the list credentials alone');
  t.equal((await http.request('/edl/basic', { headers: { Authorization: 'Bearer gateway-token-0123456789' } })).status, 401, 'a gateway token is not the list credentials');
});

t.test('a name given twice is served, and guarded, as its first list', async (t) => {
  const lists = [listConfig({ name: 'dup', types: ['ip'] }), listConfig({ name: 'dup', types: ['ip'], auth: { token_env: 'EDL_TOKEN' } })];
  const { http } = app({ lists, verdictAuth: 'token', tokens: true });
  t.equal((await http.request('/edl/dup')).status, 401, 'the gateway token is still needed');
  t.equal((await http.request('/edl/dup', { headers: { Authorization: `Bearer ${ENV.EDL_TOKEN}` } })).status, 401);
  t.equal((await http.request('/edl/dup', { headers: { Authorization: 'Bearer gateway-token-0123456789' } })).status, 200);
});

t.test('no set loaded yet: 503', async (t) => {
  const http = buildApp({
    holder: new MatcherHolder(),
    metrics: new Metrics(),
    logger: silentLogger,
    auth: new TokenAuth([], AddressSet.fromCidrs(['127.0.0.0/8'])),
    verdictAuth: 'open',
    edl: LISTS,
  });
  const res = await http.request('/edl/fw-ips');
  t.equal(res.status, 503);
  t.match(await res.json(), { error: { code: 'SLUICE_ERR_NOT_READY' } });
});
