import t, { type Test } from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../helpers/quiet.js';
import { fixture } from '../helpers/feeds.js';
import { bundleObjects, collectContext, TAXII_TYPE, TaxiiServer, type StixObject } from '../helpers/taxii-server.js';
import { collectTaxii } from '../../src/feeds/collect/taxii.js';
import type { CollectResult } from '../../src/feeds/collect/types.js';
import { parseConfig } from '../../src/config/load.js';
import { MemoryStore } from '../../src/store/memory/index.js';
import { Syncer } from '../../src/sync/syncer.js';
import { Metrics } from '../../src/metrics/registry.js';
import { Matcher } from '../../src/match/matcher.js';
import type { CompiledSet } from '../../src/match/compiled-set.js';
import { parseQuery } from '../../src/match/query.js';
import { decide } from '../../src/match/verdict.js';

const objectsOf = (file: string) => (JSON.parse(fixture(`taxii/${file}`).toString('utf8')) as { objects: StixObject[] }).objects;
const APT1 = objectsOf('oasis-apt1.json');
const POISONIVY = objectsOf('oasis-poisonivy.json');
const MISP = objectsOf('misp-stix-test_events_collection_stix21.json');
const NEW_INDICATOR = objectsOf('oasis-doc-indicator-for-malicious-url.json').find((o) => o.type === 'indicator')!;
const ALL_IDS = [...APT1, ...POISONIVY, ...MISP].map((o) => o.id as string);

/** Added on 2024-05-<day>, `i` seconds after midnight (UTC). */
const added = (day: number) => (i: number) => new Date(Date.UTC(2024, 4, day, 0, 0, i)).toISOString();
const LAST_ADDED = added(3)(MISP.length - 1);

async function setup(t: Test): Promise<TaxiiServer> {
  const server = new TaxiiServer();
  await server.start();
  t.teardown(() => server.stop());
  server.add('indicators', APT1, added(1));
  server.add('indicators', POISONIVY, added(2));
  server.add('indicators', MISP, added(3));
  return server;
}

const feed = (server: TaxiiServer, taxii: Record<string, unknown> = {}, path = '/taxii2/') => ({
  url: server.url(path),
  taxii: { collection: 'indicators', page_size: 50, ...taxii },
});

function body(result: CollectResult): Buffer {
  if (result.kind !== 'body') throw new Error(`expected a body, got ${result.kind}`);
  return result.body;
}

t.test('discovery, every page of the collection, then only what was added since', async (t) => {
  const server = await setup(t);
  const first = await collectTaxii(collectContext(feed(server)));
  const objects = bundleObjects(body(first));
  t.equal(objects.length, 251, 'apt1 76 + poisonivy 155 + MISP 20');
  t.same(objects.map((o) => o.id), ALL_IDS, 'each object once, in the order the server added them');
  t.equal(first.kind === 'body' && first.contentType, 'application/json');
  t.same(first.kind === 'body' && first.state, { addedAfter: LAST_ADDED }, 'the state is the last X-TAXII-Date-Added-Last');

  t.same(server.requests.map((r) => r.path), ['/taxii2/', ...Array(6).fill('/api1/collections/indicators/objects/')], 'discovery, then the default API root');
  t.ok(server.requests.every((r) => r.headers.accept === TAXII_TYPE), 'every request asks for TAXII 2.1');
  const pages = server.objectRequests;
  t.same(pages[0]!.query, { limit: '50' });
  pages.slice(1).forEach((r, k) => t.same(r.query, { limit: '50', next: pages[k]!.answer!.next }, `page ${k + 2} repeats the filters plus next`));
  t.equal(pages.at(-1)!.answer!.more, false);

  server.requests.splice(0);
  server.add('indicators', [NEW_INDICATOR], '2024-05-04T12:00:00.000Z');
  const second = await collectTaxii(collectContext(feed(server), { body: body(first), state: (first as { state: unknown }).state }));
  t.same(server.objectRequests.map((r) => r.query), [{ limit: '50', added_after: LAST_ADDED }], 'one request, from where the last poll ended');
  t.equal(server.objectRequests[0]!.answer!.count, 1, 'the server sent only the new object');
  const merged = bundleObjects(body(second));
  t.equal(merged.length, 252);
  t.same(merged.at(-1), NEW_INDICATOR, 'the new object joins the earlier ones');
  t.same((second as { state: unknown }).state, { addedAfter: '2024-05-04T12:00:00.000Z' });

  server.requests.splice(0);
  const third = await collectTaxii(collectContext(feed(server), { body: body(second), state: (second as { state: unknown }).state }));
  t.same(third, { kind: 'unchanged' }, 'nothing added: unchanged');
  t.same(server.objectRequests[0]!.query, { limit: '50', added_after: '2024-05-04T12:00:00.000Z' });
});

t.test('an object added again keeps its newest version', async (t) => {
  const server = await setup(t);
  const first = await collectTaxii(collectContext(feed(server)));
  const previous = { body: body(first), state: (first as { state: unknown }).state };
  const old = APT1.find((o) => o.type === 'indicator')!;
  server.add('indicators', [{ ...old, modified: '2024-06-01T00:00:00.000Z', name: 'revised' }], '2024-06-01T00:00:00.000Z');
  const merged = bundleObjects(body(await collectTaxii(collectContext(feed(server), previous))));
  t.equal(merged.length, 251, 'replaced, not added');
  t.match(merged.find((o) => o.id === old.id), { name: 'revised', modified: '2024-06-01T00:00:00.000Z' });

  const stale = POISONIVY.find((o) => o.type === 'indicator')!;
  server.add('indicators', [{ ...stale, modified: '2000-01-01T00:00:00.000Z', name: 'older' }], '2024-06-02T00:00:00.000Z');
  const again = await collectTaxii(collectContext(feed(server), previous));
  t.equal(bundleObjects(body(again)).find((o) => o.id === stale.id)!.name, stale.name, 'an older version does not replace a newer one');
});

t.test('the API root: the url itself, or the one taxii.api_root names', async (t) => {
  const server = await setup(t);
  await collectTaxii(collectContext(feed(server, {}, '/api2/')));
  t.equal(server.requests[0]!.path, '/api2/collections/indicators/objects/', 'an API root url needs no discovery');
  for (const name of ['api2', server.url('/api2/'), '/api2/']) {
    server.requests.splice(0);
    await collectTaxii(collectContext(feed(server, { api_root: name })));
    t.same(server.requests.slice(0, 2).map((r) => r.path), ['/taxii2/', '/api2/collections/indicators/objects/'], `api_root ${name}`);
  }
  await t.rejects(collectTaxii(collectContext(feed(server, { api_root: 'api9' }))), {
    code: 'SLUICE_ERR_FEED_FETCH',
    message: /API root "api9" is not one the server lists \(http:\/\/127\.0\.0\.1:\d+\/api1\/, http:\/\/127\.0\.0\.1:\d+\/api2\/\)/,
  });
});

t.test('basic and bearer credentials from the environment', async (t) => {
  const server = await setup(t);
  process.env.SLUICE_TEST_TAXII_PASSWORD = 's3cret';
  process.env.SLUICE_TEST_TAXII_TOKEN = 'tok-123';
  t.teardown(() => {
    delete process.env.SLUICE_TEST_TAXII_PASSWORD;
    delete process.env.SLUICE_TEST_TAXII_TOKEN;
  });
  const basic = { username: 'sluice', password_env: 'SLUICE_TEST_TAXII_PASSWORD' };

  server.auth = { basic: ['sluice', 's3cret'] };
  t.equal((await collectTaxii(collectContext(feed(server, basic)))).kind, 'body');
  t.equal(server.requests.at(-1)!.headers.authorization, `Basic ${Buffer.from('sluice:s3cret').toString('base64')}`);
  await t.rejects(collectTaxii(collectContext(feed(server))), { message: /TAXII discovery .*: HTTP 401: the server wants credentials/ });
  server.auth = { basic: ['sluice', 'other'] };
  await t.rejects(collectTaxii(collectContext(feed(server, basic))), { message: /HTTP 401: the server refused the credentials/ });

  server.auth = { bearer: 'tok-123' };
  t.equal((await collectTaxii(collectContext(feed(server, { token_env: 'SLUICE_TEST_TAXII_TOKEN' })))).kind, 'body');
  t.equal(server.requests.at(-1)!.headers.authorization, 'Bearer tok-123');

  server.requests.splice(0);
  await t.rejects(collectTaxii(collectContext(feed(server, { token_env: 'SLUICE_TEST_TAXII_UNSET' }))), {
    message: /environment variable SLUICE_TEST_TAXII_UNSET \(taxii.token_env\) is not set/,
  });
  await t.rejects(collectTaxii(collectContext(feed(server, { username: 'sluice' }))), { message: /taxii.username needs taxii.password_env/ });
  t.equal(server.requests.length, 0, 'nothing is asked without the credentials');
});

t.test('answers that are not TAXII fail the poll with a clear error', async (t) => {
  const server = await setup(t);
  const cases: Array<[string, TaxiiServer['override'], RegExp]> = [
    ['an HTML login page', (c) => c.html('<!DOCTYPE html><html><body>Sign in</body></html>'), /TAXII discovery .*: answered with an HTML page, not TAXII JSON \(content type text\/html/],
    ['text that is not JSON', (c) => c.body('objects: none', 200, { 'Content-Type': TAXII_TYPE }), /answer is not JSON/],
    ['a JSON list', (c) => c.body('[]', 200, { 'Content-Type': TAXII_TYPE }), /answer is not a JSON object/],
    ['HTTP 403', (c) => c.json({ title: 'forbidden' }, 403), /HTTP 403: the server wants credentials/],
  ];
  for (const [what, override, error] of cases) {
    server.override = override;
    await t.rejects(collectTaxii(collectContext(feed(server))), { code: 'SLUICE_ERR_FEED_FETCH', message: error }, what);
  }
  server.override = undefined;
  await t.rejects(collectTaxii(collectContext({ ...feed(server), url: '/srv/taxii/objects.json' })), { message: /a TAXII url must be http\(s\)/ });
  await t.rejects(collectTaxii(collectContext({ ...feed(server, {}, '/api1/'), taxii: { collection: 'nope' } })), {
    message: /objects page 1 .*: HTTP 404: no such API root or collection/,
  });

  // Page 3 of 6 fails: the pages before it are not kept either.
  const ctx = collectContext(feed(server, {}, '/api1/'));
  const fetch = ctx.fetch;
  let n = 0;
  ctx.fetch = (url, init) => fetch(++n === 3 ? server.url('/api1/collections/nope/objects/') : url, init);
  await t.rejects(collectTaxii(ctx), { message: /objects page 3 .*HTTP 404/ }, 'a failed page fails the whole poll');
});

t.test('through a Syncer: all pages, then added_after; bad answers keep what the set had', async (t) => {
  const server = await setup(t);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-taxii-'));
  const config = parseConfig(
    [
      `data_dir: ${dir}`,
      'sync: { retries: 0, timeout: 2s }',
      'feeds:',
      `  - { name: intel, url: "${server.url('/taxii2/')}", format: taxii, taxii: { collection: indicators, page_size: 50 } }`,
    ].join('\n'),
    join(dir, 'sluice.yaml'),
  );
  const sets: CompiledSet[] = [];
  const syncer = new Syncer({ config, store: new MemoryStore(dir), metrics: new Metrics(), logger: silentLogger, onSet: (s) => sets.push(s) });
  t.teardown(() => syncer.stop());
  const status = () => syncer.status()[0]!;
  const verdict = (value: string) => decide(new Matcher(sets.at(-1)!), parseQuery(value, 'value')).verdict;

  await syncer.start();
  t.same(server.requests.map((r) => r.path), ['/taxii2/', ...Array(6).fill('/api1/collections/indicators/objects/')], 'discovery and six pages');
  t.same(server.objectRequests[0]!.query, { limit: '50' });
  t.equal(status().state, 'ok');
  t.equal(verdict('hugesoft.org'), 'block', 'an apt1 domain indicator is enforced');
  server.requests.splice(0);
  server.add('indicators', [NEW_INDICATOR], '2024-05-04T12:00:00.000Z');
  await syncer.syncFeed('intel');
  t.same(server.objectRequests.map((r) => r.query), [{ limit: '50', added_after: LAST_ADDED }], 'the second sync asks only for what was added');
  t.equal(status().state, 'ok');
  t.equal(verdict('http://x4z9arb.cn/4712/'), 'block', 'the new indicator is enforced');
  t.equal(verdict('hugesoft.org'), 'block', 'and the earlier ones stay');

  const bad: Array<[string, TaxiiServer['override'], RegExp]> = [
    ['HTTP 401', (c) => c.json({ title: 'unauthorized' }, 401), /feed intel: TAXII discovery .*: HTTP 401: the server wants credentials/],
    ['an HTML page', (c) => c.html('<!DOCTYPE html><html><head><title>Sign in</title></head><body>evil.example.com</body></html>'), /feed intel: TAXII discovery .*: answered with an HTML page/],
  ];
  for (const [what, override, error] of bad) {
    const entries = sets.at(-1)?.meta.counts;
    server.override = override;
    await syncer.syncFeed('intel');
    t.equal(status().state, 'failing', what);
    t.match(status().lastError, error, what);
    t.same(sets.at(-1)!.meta.counts, entries, `${what}: the set keeps what it had`);
    t.equal(verdict('hugesoft.org'), 'block');
    server.override = undefined;
  }
  server.requests.splice(0);
  await syncer.syncFeed('intel');
  t.equal(status().state, 'ok', 'recovers');
  t.same(server.objectRequests[0]!.query, { limit: '50', added_after: '2024-05-04T12:00:00.000Z' }, 'from where the last completed sync ended');
});
