// An edge matcher (Bloom filter and networks in memory, entries confirmed in Redis) against the
// full matcher of the same set, over every real feed fixture: every listed value, a name below
// each listed domain, the top sites and random names get the same verdict, score, match and
// explanation from both. Then Redis goes away: cached answers stand, and a Bloom positive that
// cannot be confirmed is answered by the configured policy and counted.
import t from 'tap';
import '../helpers/quiet.js';
import { defaultGuard, matcherFor } from '../helpers/feeds.js';
import { feeds, majesticNames, trancoNames } from '../helpers/real-feeds.js';
import { ownRedisStore } from '../helpers/redis-store.js';
import type { RedisStore } from '../../src/store/redis/index.js';
import { setToStoredImage } from '../../src/match/codec.js';
import { edgeMatcherOf, isEdgeGatewaySection } from '../../src/match/edge/load.js';
import type { EdgeMatcher, EdgeOptions } from '../../src/match/edge/matcher.js';
import type { Matcher } from '../../src/match/matcher.js';
import { parseQuery, type Query } from '../../src/match/query.js';
import { settled } from '../../src/match/settle.js';
import { decide, describe } from '../../src/match/verdict.js';
import { decisionFor } from '../../src/match/explain.js';

const full = matcherFor(feeds, '', { block_at: 70, monitor_at: 40 }, { guard: defaultGuard() });
const set = full.set;

/** Values to ask about: each entry's own value, a name below each domain, top sites, random names. */
function askedValues(): string[] {
  const out: string[] = [];
  for (let e = 0; e < full.size; e++) {
    const type = full.entryType(e);
    const value = full.entryValue(e);
    if (type === 'cidr') {
      const [net, prefix] = value.split('/') as [string, string];
      out.push(net);
      if (!net.includes(':') && Number(prefix) < 32) out.push(net.replace(/\d+$/, (d) => String(Number(d) + 1)));
      continue;
    }
    out.push(value);
    if (type === 'domain') out.push(`www.${value}`);
    if (type === 'url') out.push(new URL(value).hostname);
  }
  out.push(...trancoNames(), ...majesticNames());
  let seed = 7;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < 5_000; i++) out.push(`${Math.floor(random() * 1e9).toString(36)}.${['com', 'net', 'org', 'ru'][i % 4]}`);
  return out;
}

const queries: Query[] = [];
for (const value of askedValues()) {
  try {
    queries.push(parseQuery(value, 'value'));
  } catch {
    // Values a verdict query refuses are refused alike by both; nothing to compare.
  }
}

async function edgeOver(store: RedisStore, options: Partial<EdgeOptions> = {}, counts?: { unconfirmed: number; errors: number }): Promise<EdgeMatcher> {
  const image = (await store.load(set.meta.version, isEdgeGatewaySection))!;
  return edgeMatcherOf(image, { fetch: (keys) => store.records(set.meta.version, keys) }, {
    cacheSize: 100_000,
    unconfirmed: 'allow',
    onUnconfirmed: () => counts && counts.unconfirmed++,
    onConfirm: (result, n) => counts && result === 'error' && (counts.errors += n),
    ...options,
  });
}

/** Every query through both matchers; the differences, described. */
async function differences(edge: Matcher, asked: Query[]): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const query of asked) {
    const want = describe(decide(full, query));
    const decision = await settled(edge, () => decide(edge, query));
    const got = describe(decision);
    if (JSON.stringify(want) !== JSON.stringify(got)) out.push({ asked: query.input, want, got });
  }
  return out;
}

t.test('edge answers as full over the real feed fixtures', async (t) => {
  const { store } = await ownRedisStore(t, 'edge-test:');
  const started = performance.now();
  await store.save(setToStoredImage(set));
  t.comment(`${set.meta.entries} entries written with their index in ${Math.round(performance.now() - started)} ms`);

  const counts = { unconfirmed: 0, errors: 0 };
  const edge = await edgeOver(store, {}, counts);
  t.ok(queries.length > 50_000, `${queries.length} queries`);
  const diff = await differences(edge, queries);
  t.same(diff.slice(0, 5), [], 'the same verdict, score, match and explanation for every query');
  t.equal(diff.length, 0, `${diff.length} differences`);
  t.equal(counts.errors + counts.unconfirmed, 0, 'nothing needed the unconfirmed policy');
  t.ok(edge.cached > 0 && edge.cached <= 100_000, `${edge.cached} keys cached`);

  // A cache far smaller than the working set: slots are evicted and reused all the time.
  const tiny = await edgeOver(store, { cacheSize: 16 });
  const sample = queries.filter((_, i) => i % 7 === 0);
  const tinyDiff = await differences(tiny, sample);
  t.same(tinyDiff.slice(0, 5), [], `a 16-key cache answers the same over ${sample.length} queries`);
  t.ok(tiny.cached <= 16, 'the cache stays within its bound');

  // More keys at once than the cache holds, from one lookup or from many: keys a lookup waits
  // on are never evicted under it, so a small cache costs round trips, never a verdict.
  const listed = queries.filter((q) => decide(full, q).verdict === 'block').slice(0, 1000);
  const batch = await edgeOver(store, { cacheSize: 16 }, counts);
  const batched = await settled(batch, () => listed.map((q) => decide(batch, q).verdict));
  t.equal(batched.filter((v) => v === 'block').length, listed.length, `one batch of ${listed.length} listed values through a 16-key cache: all block`);
  const mixed = queries.filter((_, i) => i % 13 === 0).slice(0, 1500);
  const burst = await edgeOver(store, { cacheSize: 8 }, counts);
  const answers = await Promise.all(mixed.map((q) => settled(burst, () => describe(decide(burst, q)))));
  const wanted = mixed.map((q) => describe(decide(full, q)));
  const wrong = answers.filter((a, i) => JSON.stringify(a) !== JSON.stringify(wanted[i]));
  t.same(wrong.slice(0, 3), [], `${mixed.length} concurrent lookups through an 8-key cache answer as full`);
  t.equal(counts.errors + counts.unconfirmed, 0, 'and none fell back on the unconfirmed policy');
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setTimeout(r, 10));
  const grown = (burst as unknown as { set: { types: Uint8Array } }).set.types.length;
  t.ok(burst.cached <= 8, `back within its bound once the lookups are done (${burst.cached} keys, ${grown} slots)`);
});

t.test('Redis away: cached answers stand, unconfirmable positives follow the policy, counted', async (t) => {
  const { store, redis } = await ownRedisStore(t, 'edge-test:');
  await store.save(setToStoredImage(set));

  const blockedQueries = queries.filter((q) => q.type === 'domain' && decide(full, q).verdict === 'block');
  const warm = blockedQueries[0]!;
  // Listed on its own, not below the warm one (whose cached entry would decide it).
  const cold = blockedQueries[blockedQueries.length - 1]!;
  const clean = parseQuery('sluice-test-clean-name.example', 'value');
  const blockCounts = { unconfirmed: 0, errors: 0 };
  const allowCounts = { unconfirmed: 0, errors: 0 };
  const blocking = await edgeOver(store, { unconfirmed: 'block' }, blockCounts);
  const allowing = await edgeOver(store, { unconfirmed: 'allow' }, allowCounts);
  for (const m of [blocking, allowing]) t.equal((await settled(m, () => decide(m, warm))).verdict, 'block', 'confirmed while Redis is up');

  redis.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 300));

  for (const m of [blocking, allowing]) {
    t.equal((await settled(m, () => decide(m, warm))).verdict, 'block', 'a confirmed entry still blocks from the cache');
    m.unconfirmed.length = 0;
    t.equal(decide(m, clean).verdict, 'allow', 'a Bloom negative is answered from memory');
    t.equal(m.unconfirmed.length, 0, 'without asking Redis');
  }
  const blocked = await settled(blocking, () => decide(blocking, cold));
  t.equal(blocked.verdict, 'block', `policy block: ${cold.input} blocks without confirmation`);
  t.match(describe(blocked).warnings, [/not confirmable in Redis/], 'and the verdict says why');
  t.ok(blockCounts.unconfirmed > 0 && blockCounts.errors > 0, `counted: ${blockCounts.unconfirmed} by policy, ${blockCounts.errors} failed confirmations`);
  const allowed = await settled(allowing, () => decide(allowing, cold));
  t.equal(allowed.verdict, 'allow', `policy allow: ${cold.input} passes without confirmation`);
  t.match(describe(allowed), { match: { type: 'domain' }, warnings: [/allowed by redis.gateway.unconfirmed/] }, 'and the verdict says why, not "not listed"');
  t.ok(allowCounts.unconfirmed > 0, `counted: ${allowCounts.unconfirmed} by policy`);
});

t.test('explain finds held networks on edge as on full', async (t) => {
  const { store } = await ownRedisStore(t, 'edge-test:');
  await store.save(setToStoredImage(set));
  const edge = await edgeOver(store);
  const held: string[] = [];
  for (let e = 0; e < full.size; e++) if (full.entryType(e) === 'cidr' && full.entryHeld(e)) held.push(full.entryValue(e));
  t.ok(held.length > 0, `${held.length} held networks in the fixtures`);
  const asked = [...held, ...held.map((n) => n.split('/')[0]!)];
  const diff: unknown[] = [];
  for (const value of asked) {
    const want = describe(decisionFor(full, value));
    const got = describe(await settled(edge, () => decisionFor(edge, value)));
    if (JSON.stringify(want) !== JSON.stringify(got)) diff.push({ value, want, got });
  }
  t.same(diff.slice(0, 3), [], `${asked.length} explanations of held networks and addresses inside them agree`);
});
