// An edge matcher with a cache far smaller than the traffic, under waves of concurrent lookups
// whose keys partly hit and partly miss the cache: names nine labels deep whose parents are
// listed by a weak feed and whose full name by a strong one. Every answer must be the full
// set's; none may fall back on the unconfirmed policy while Redis is up. Also one batch that
// needs more than 8,000 keys confirmed at once.
import t from 'tap';
import '../helpers/quiet.js';
import { matcherFor } from '../helpers/feeds.js';
import { ownRedisStore } from '../helpers/redis-store.js';
import { setToStoredImage } from '../../src/match/codec.js';
import { edgeMatcherOf, isEdgeGatewaySection } from '../../src/match/edge/load.js';
import { parseQuery } from '../../src/match/query.js';
import { settled } from '../../src/match/settle.js';
import { decide, describe } from '../../src/match/verdict.js';

const DEEP = 'l9.l8.l7.l6.l5.l4.l3.l2.l1';
const N = 1500;
const parents = (i: number) => Array.from({ length: 9 }, (_, k) => `${DEEP.split('.').slice(9 - k).join('.')}${k ? '.' : ''}b${i}.weak.example`);
const weak = Array.from({ length: N }, (_, i) => parents(i).join('\n')).join('\n');
const strong = Array.from({ length: N }, (_, i) => `${DEEP}.b${i}.weak.example`).join('\n');
const full = matcherFor([
  { name: 'weak', body: weak, format: 'text', confidence: 50 },
  { name: 'strong', body: strong, format: 'text', confidence: 95 },
]);

t.test('a tiny cache under waves of concurrent lookups answers as full', async (t) => {
  const { store } = await ownRedisStore(t, 'pressure:');
  await store.save(setToStoredImage(full.set));
  let unconfirmed = 0;
  const image = (await store.load(full.set.meta.version, isEdgeGatewaySection))!;
  const edge = edgeMatcherOf(image, { fetch: (keys) => store.records(full.set.meta.version, keys) }, {
    cacheSize: 16,
    unconfirmed: 'allow',
    onUnconfirmed: () => unconfirmed++,
  });

  let seed = 3;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const wrong: unknown[] = [];
  let asked = 0;
  for (let wave = 0; wave < 30; wave++) {
    const names = Array.from({ length: 100 }, () => {
      const i = Math.floor(random() * 40); // a small working set: many keys are cached, many are not
      const depth = Math.floor(random() * 10);
      return `${DEEP.split('.').slice(9 - depth).join('.')}${depth ? '.' : ''}b${i}.weak.example`;
    });
    const answers = await Promise.all(names.map((n) => settled(edge, () => describe(decide(edge, parseQuery(n, 'domain'))))));
    answers.forEach((got, k) => {
      const want = describe(decide(full, parseQuery(names[k]!, 'domain')));
      if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push({ name: names[k], want: [want.verdict, want.match], got: [got.verdict, got.match] });
    });
    asked += names.length;
  }
  t.same(wrong.slice(0, 3), [], `${asked} lookups in 30 waves of 100 through a 16-key cache: ${wrong.length} differ from full`);
  t.equal(unconfirmed, 0, 'none answered by the unconfirmed policy');

  const batch = Array.from({ length: 1000 }, (_, i) => parseQuery(`${DEEP}.b${i}.weak.example`, 'domain'));
  const verdicts = await settled(edge, () => batch.map((q) => decide(edge, q).verdict));
  t.equal(verdicts.filter((v) => v === 'block').length, 1000, 'a batch of 1,000 names needing 10,000 keys confirmed: all block');
  t.equal(unconfirmed, 0, 'still none by policy');
});
