// Regression cases for the TAXII 2.1 client (format: taxii).
import t, { type Test } from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../helpers/quiet.js';
import { bundleObjects, collectContext, TaxiiServer, type StixObject } from '../helpers/taxii-server.js';
import { collectTaxii, DEFAULT_POLL_LIMITS, makeTaxiiCollector } from '../../src/feeds/collect/taxii.js';
import type { CollectResult } from '../../src/feeds/collect/types.js';
import { parseConfig } from '../../src/config/load.js';
import { MemoryStore } from '../../src/store/memory/index.js';
import { Syncer } from '../../src/sync/syncer.js';
import { Metrics } from '../../src/metrics/registry.js';
import { Matcher } from '../../src/match/matcher.js';
import type { CompiledSet } from '../../src/match/compiled-set.js';
import { parseQuery } from '../../src/match/query.js';
import { decide } from '../../src/match/verdict.js';

const SAME_DAY = '2024-05-01T00:00:00.000Z';

function indicator(i: number, modified: string): StixObject {
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    created: '2023-01-01T00:00:00.000Z',
    modified,
    name: `host ${i}`,
    indicator_types: ['malicious-activity'],
    pattern: `[domain-name:value = 'host${i}.taxii.example']`,
    pattern_type: 'stix',
    valid_from: '2023-01-01T00:00:00Z',
  };
}

const COLLECTION = Array.from({ length: 250 }, (_, i) => indicator(i, '2023-06-01T00:00:00.000Z'));
const feed = (server: TaxiiServer) => ({ url: server.url('/api1/'), taxii: { collection: 'pub032', page_size: 100 } });

async function serverWith(t: Test, objects: StixObject[], dateAdded: string | ((i: number) => string)): Promise<TaxiiServer> {
  const server = new TaxiiServer();
  await server.start();
  t.teardown(() => server.stop());
  server.add('pub032', objects, dateAdded);
  return server;
}

function body(result: CollectResult): Buffer {
  if (result.kind !== 'body') throw new Error(`expected a body, got ${result.kind}`);
  return result.body;
}

const stateOf = (result: CollectResult) => (result.kind === 'body' ? result.state : undefined);

/** Each of the 250 ids exactly once. */
function once(t: Test, objects: StixObject[], n = 250): void {
  const counts = new Map<unknown, number>();
  for (const o of objects) counts.set(o.id, (counts.get(o.id) ?? 0) + 1);
  t.equal(objects.length, n, `${n} objects`);
  t.equal(counts.size, n, 'all different');
  t.ok([...counts.values()].every((c) => c === 1), 'each exactly once');
}

t.test('PUB-032 scenario 1: more=true with an opaque next token', async (t) => {
  const server = await serverWith(t, COLLECTION, SAME_DAY);
  const first = await collectTaxii(collectContext(feed(server)));
  once(t, bundleObjects(body(first)));
  const pages = server.objectRequests;
  t.equal(pages.length, 3);
  t.same(pages[0]!.query, { limit: '100' });
  t.same(pages[1]!.query, { limit: '100', next: pages[0]!.answer!.next }, 'the original filters plus next only');
  t.same(pages[2]!.query, { limit: '100', next: pages[1]!.answer!.next });
  t.same(stateOf(first), { addedAfter: SAME_DAY });

  // An incremental poll: its original filters include added_after, and every page repeats it.
  server.requests.splice(0);
  server.add('pub032', Array.from({ length: 250 }, (_, i) => indicator(1000 + i, '2023-06-01T00:00:00.000Z')), '2024-05-02T00:00:00.000Z');
  const second = await collectTaxii(collectContext(feed(server), { body: body(first), state: stateOf(first) }));
  t.equal(bundleObjects(body(second)).length, 500);
  const next = server.objectRequests;
  t.same(next.map((r) => r.query), [
    { limit: '100', added_after: SAME_DAY },
    { limit: '100', added_after: SAME_DAY, next: next[0]!.answer!.next },
    { limit: '100', added_after: SAME_DAY, next: next[1]!.answer!.next },
  ]);
});

t.test('PUB-032 scenario 2: more=true without next, paged by X-TAXII-Date-Added-Last', async (t) => {
  // added_after cannot page through objects that share one date_added (the server can only say
  // "after" that date), so here two objects share each second, and the server repeats the
  // objects added at the added_after time itself: the client must drop the repeats. Every
  // `modified` is later than every date_added: paging by it would skip the rest.
  const addedAt = (i: number) => new Date(Date.parse(SAME_DAY) + Math.floor(i / 2) * 1000).toISOString();
  const objects = Array.from({ length: 250 }, (_, i) => indicator(i, `2025-01-01T00:00:${String(i % 60).padStart(2, '0')}.000Z`));
  const server = await serverWith(t, objects, addedAt);
  server.paging = 'date';
  server.inclusive = true;
  const result = await collectTaxii(collectContext(feed(server)));
  once(t, bundleObjects(body(result)));
  const pages = server.objectRequests;
  t.same(pages.map((r) => r.query), [
    { limit: '100' },
    { limit: '100', added_after: pages[0]!.answer!.last },
    { limit: '100', added_after: pages[1]!.answer!.last },
  ], 'added_after is the previous answer\'s X-TAXII-Date-Added-Last');
  t.same(pages.map((r) => r.query.added_after), [undefined, addedAt(99), addedAt(197)]);
  t.equal(pages.reduce((n, r) => n + r.answer!.count, 0), 254, 'four objects came twice');
  t.same(stateOf(result), { addedAfter: addedAt(249) });

  await t.test('a server that cannot move on by date fails clearly', async (t) => {
    const same = await serverWith(t, COLLECTION, SAME_DAY);
    same.paging = 'date';
    same.inclusive = true;
    await t.rejects(collectTaxii(collectContext(feed(same))), {
      code: 'SLUICE_ERR_FEED_FETCH',
      message: `feed taxii: TAXII collection pub032 at ${same.url('/api1/')}: more=true but X-TAXII-Date-Added-Last ${SAME_DAY} is not after added_after ${SAME_DAY} (stopped at page 2; the previous data stays)`,
    });
    t.equal(same.objectRequests.length, 2);
  });
});

t.test('PUB-032 scenario 3: a server that keeps saying more', async (t) => {
  const server = await serverWith(t, COLLECTION, SAME_DAY);
  server.paging = 'stuck';
  const started = Date.now();
  await t.rejects(collectTaxii(collectContext(feed(server))), {
    message: /TAXII collection pub032 .*: the server returned the next token "same-token" again \(stopped at page 2; the previous data stays\)/,
  });
  t.equal(server.objectRequests.length, 2, 'stops at the first repeated token');
  t.ok(Date.now() - started < 5000, 'and at once');

  t.equal(DEFAULT_POLL_LIMITS.maxPages, 1000, 'pages are bounded by default');
  server.paging = 'endless';
  server.requests.splice(0);
  await t.rejects(makeTaxiiCollector({ maxPages: 5, maxMillis: 60_000 })(collectContext(feed(server))), {
    message: /the server still had more after 5 pages \(stopped at page 5/,
  });
  t.equal(server.objectRequests.length, 5, 'new tokens every time: stops at the page bound');
  await t.rejects(makeTaxiiCollector({ maxPages: 1000, maxMillis: 0 })(collectContext(feed(server))), { message: /the poll took longer than 0 s/ });
});

t.test('PUB-032 through a Syncer: a stuck poll fails the sync and the next one starts from the last completed', async (t) => {
  const server = await serverWith(t, COLLECTION, SAME_DAY);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pub032-'));
  const config = parseConfig(
    [
      `data_dir: ${dir}`,
      'sync: { retries: 0, timeout: 2s }',
      'feeds:',
      `  - { name: pub032, url: "${server.url('/api1/')}", format: taxii, taxii: { collection: pub032, page_size: 100 } }`,
    ].join('\n'),
    join(dir, 'sluice.yaml'),
  );
  const sets: CompiledSet[] = [];
  const syncer = new Syncer({ config, store: new MemoryStore(dir), metrics: new Metrics(), logger: silentLogger, onSet: (s) => sets.push(s) });
  t.teardown(() => syncer.stop());
  const status = () => syncer.status()[0]!;
  const verdict = (value: string) => decide(new Matcher(sets.at(-1)!), parseQuery(value, 'value')).verdict;

  await syncer.start();
  t.equal(server.objectRequests.length, 3, 'the first sync reads three pages');
  t.equal(status().state, 'ok');
  t.equal(verdict('host7.taxii.example'), 'block');
  const counts = sets.at(-1)?.meta.counts;

  server.paging = 'stuck';
  server.add('pub032', [indicator(5000, '2024-05-02T00:00:00.000Z')], '2024-05-02T00:00:00.000Z');
  server.requests.splice(0);
  const started = Date.now();
  await syncer.syncFeed('pub032');
  t.ok(Date.now() - started < 5000, 'the stuck sync ends at once');
  t.equal(server.objectRequests.length, 2);
  t.equal(status().state, 'failing');
  t.match(status().lastError, /^feed pub032: TAXII collection pub032 .*next token "same-token" again .*the previous data stays\)$/);
  t.same(server.objectRequests[0]!.query, { limit: '100', added_after: SAME_DAY });
  t.same(sets.at(-1)!.meta.counts, counts, 'the previous set stays');
  t.equal(verdict('host7.taxii.example'), 'block');

  server.paging = 'next';
  server.requests.splice(0);
  await syncer.syncFeed('pub032');
  // The failed poll saw X-TAXII-Date-Added-Last 2024-05-02; the next one starts from the last completed poll.
  t.same(server.objectRequests.map((r) => r.query), [{ limit: '100', added_after: SAME_DAY }]);
  t.equal(status().state, 'ok');
  t.equal(verdict('host5000.taxii.example'), 'block', 'the object added meanwhile arrives');
  t.equal(verdict('host7.taxii.example'), 'block');
});
