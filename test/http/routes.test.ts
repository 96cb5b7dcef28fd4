import t from 'tap';
import { silentLogger } from '../helpers/quiet.js';
import { matcherFor } from '../helpers/feeds.js';
import { buildApp } from '../../src/http/app.js';
import { MatcherHolder } from '../../src/match/holder.js';
import { Metrics } from '../../src/metrics/registry.js';
import { AddressSet } from '../../src/match/cidr/address-set.js';
import { TokenAuth } from '../../src/http/auth.js';

function app(loaded = true) {
  const holder = new MatcherHolder();
  if (loaded) {
    holder.swap(
      matcherFor([
        { name: 'doms', format: 'text', type: 'domain', confidence: 80, body: 'bad.example.com\nweak.example.com\n' },
        { name: 'weak', format: 'text', confidence: 45, body: 'meh.example.com\n' },
        { name: 'ips', format: 'text', type: 'ip', confidence: 90, body: '192.0.2.0/24\n2001:db8::1\n198.51.100.9\n' },
      ]),
    );
  }
  const metrics = new Metrics();
  const http = buildApp({ holder, metrics, logger: silentLogger, feedStatus: () => [{ name: 'doms', state: 'ok' }, { name: 'weak', state: 'ok' }, { name: 'ips', state: 'ok' }], auth: new TokenAuth([], AddressSet.fromCidrs(['127.0.0.0/8'])), verdictAuth: 'open' });
  return { http, metrics, holder };
}

t.test('GET /v1/verdict answers each parameter kind', async (t) => {
  const { http } = app();
  const cases: Array<[string, Record<string, unknown>]> = [
    ['value=bad.example.com', { type: 'domain', verdict: 'block', score: 80, match: { indicator: 'bad.example.com', kind: 'exact' } }],
    ['domain=WWW.Bad.Example.Com.', { verdict: 'block', match: { indicator: 'bad.example.com', kind: 'parent' } }],
    ['ip=192.0.2.55', { type: 'ipv4', verdict: 'block', match: { indicator: '192.0.2.0/24', kind: 'cidr' } }],
    ['ip=2001:db8:0::1', { type: 'ipv6', verdict: 'block' }],
    ['url=https%3A%2F%2Fbad.example.com%2Fx', { type: 'url', verdict: 'block', match: { kind: 'host' } }],
    ['value=meh.example.com', { verdict: 'monitor', score: 45 }],
    ['value=fine.example.com', { verdict: 'allow', score: 0, match: null, sources: [] }],
    [`hash=${'e'.repeat(64)}`, { type: 'sha256', verdict: 'allow' }],
  ];
  for (const [query, expected] of cases) {
    const res = await http.request(`/v1/verdict?${query}`);
    t.equal(res.status, 200, query);
    t.match(await res.json(), { ...expected, version: 1 }, query);
  }
});

t.test('a bad verdict request gets 400 with a JSON error naming the parameter', async (t) => {
  const { http } = app();
  const cases: Array<[string, string, RegExp]> = [
    ['', 'value', /exactly one of/],
    ['ip=1.2.3.4&domain=x.com', 'domain', /exactly one of/],
    ['ip=3221225985', 'ip', /dotted-quad/],
    ['ip=not-an-ip', 'ip', /dotted-quad/],
    ['domain=a..example.com', 'domain', /empty label/],
    [`domain=${'a'.repeat(64)}.example.com`, 'domain', /longer than 63/],
    ['url=mailto:x@example.com', 'url', /scheme/],
    ['hash=abc', 'hash', /hex digits/],
    ['value=', 'value', /empty/],
  ];
  for (const [query, param, message] of cases) {
    const res = await http.request(`/v1/verdict?${query}`);
    t.equal(res.status, 400, query);
    t.match(await res.json(), { error: { code: 'SLUICE_ERR_BAD_REQUEST', param, message } }, query);
  }
});

t.test('POST /v1/verdict answers in order, with per-value errors', async (t) => {
  const { http } = app();
  const res = await http.request('/v1/verdict', {
    method: 'POST',
    body: JSON.stringify({ values: ['198.51.100.9', 'a..b', 'ok.example.org'] }),
    headers: { 'Content-Type': 'application/json' },
  });
  t.equal(res.status, 200);
  const { results } = (await res.json()) as { results: Array<Record<string, unknown>> };
  t.match(results, [{ value: '198.51.100.9', verdict: 'block' }, { value: 'a..b', error: { code: 'SLUICE_ERR_BAD_REQUEST' } }, { verdict: 'allow' }]);

  for (const [body, param] of [
    ['not json', 'body'],
    ['{"values":"x"}', 'values'],
    ['{"values":[1]}', 'values[0]'],
    [JSON.stringify({ values: Array.from({ length: 1001 }, () => 'x.com') }), 'values'],
  ]) {
    const bad = await http.request('/v1/verdict', { method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
    t.equal(bad.status, 400, param!);
    t.match(await bad.json(), { error: { param } });
  }
});

t.test('before a set is loaded: not ready, and verdicts say so', async (t) => {
  const { http } = app(false);
  t.equal((await http.request('/healthz')).status, 200);
  const ready = await http.request('/readyz');
  t.equal(ready.status, 503);
  t.match(await ready.json(), { ready: false, version: null });
  const verdict = await http.request('/v1/verdict?value=bad.example.com');
  t.equal(verdict.status, 503);
  t.match(await verdict.json(), { error: { code: 'SLUICE_ERR_NOT_READY' } });
});

t.test('EDL lists filter by score and feed, and answer 304 to a matching ETag', async (t) => {
  const { http } = app();
  const ip = await http.request('/edl/ip.txt');
  t.equal(ip.status, 200);
  t.equal(await ip.text(), '198.51.100.9\n2001:db8::1\n192.0.2.0/24\n');
  const etag = ip.headers.get('etag')!;
  t.equal((await http.request('/edl/ip.txt', { headers: { 'If-None-Match': etag } })).status, 304);

  t.equal(await (await http.request('/edl/domain.txt')).text(), 'bad.example.com\nweak.example.com\n');
  t.equal(await (await http.request('/edl/domain.txt?min_score=40')).text(), 'bad.example.com\nmeh.example.com\nweak.example.com\n');
  t.equal(await (await http.request('/edl/domain.txt?feed=weak&min_score=0')).text(), 'meh.example.com\n');
  t.match(await (await http.request('/edl/url.txt')).text(), /^# sluice url list, set version 1: no entries\n$/, 'never an empty body');
  t.equal((await http.request('/edl/domain.txt?min_score=200')).status, 400);
  t.match(await (await http.request('/edl/domain.txt?feed=nosuch')).json(), { error: { param: 'feed', message: /no feed named nosuch/ } });
  t.equal((await http.request('/edl/nothing.txt')).status, 404);
});

t.test('metrics count verdicts and hits by feed', async (t) => {
  const { http } = app();
  await http.request('/v1/verdict?value=bad.example.com');
  await http.request('/v1/verdict?value=meh.example.com');
  const text = await (await http.request('/metrics')).text();
  t.match(text, /sluice_verdicts_total\{type="domain",verdict="block"\} 1/);
  t.match(text, /sluice_verdicts_total\{type="domain",verdict="monitor"\} 1/);
  t.match(text, /sluice_hits_total\{feed="doms",type="domain"\} 1/);
  t.match(text, /sluice_hits_total\{feed="weak",type="domain"\} 1/);
  t.match(text, /sluice_lookup_duration_seconds_count 2/);
});
