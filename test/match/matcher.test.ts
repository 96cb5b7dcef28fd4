import t from 'tap';
import '../helpers/quiet.js';
import { matcherFor } from '../helpers/feeds.js';
import { imageToSet, setToImage } from '../../src/match/codec.js';
import { Matcher } from '../../src/match/matcher.js';
import { parseQuery } from '../../src/match/query.js';
import { decide, describe } from '../../src/match/verdict.js';
import { packImage, unpackImage } from '../../src/store/memory/snapshot-file.js';

const feeds = [
  { name: 'domains', format: 'text', type: 'domain', confidence: 80, body: 'example.com\nads.shop.example.net\ncdn.example.com\nlow.example.org\n' },
  { name: 'low', format: 'text', confidence: 50, body: 'low.example.org\nmon.example.org\n' },
  {
    name: 'nets',
    format: 'text',
    type: 'ip',
    confidence: 90,
    body: '10.0.0.0/8\n203.0.113.0/24\n203.0.113.7\n2001:db8::/32\n2001:db8:1::5\n198.51.100.0/24\n',
  },
  { name: 'weak-nets', format: 'text', type: 'ip', confidence: 30, body: '10.1.0.0/16\n198.51.100.128/25\n' },
  { name: 'urls', format: 'text', type: 'url', confidence: 85, body: 'https://files.example.edu/payload.exe\nhttp://good.example.io/bad?x=1\n' },
  { name: 'hashes', format: 'text', type: 'hash', confidence: 95, body: `${'a'.repeat(32)}\n${'b'.repeat(40)}\n${'C'.repeat(64)}\n` },
];
const allow = 'cdn.example.com\nshop.example.net\n198.51.100.64/26\ngood.example.io\n';
const m = matcherFor(feeds, allow);

const check = (matcher: Matcher, value: string) => {
  const d = decide(matcher, parseQuery(value, 'value'));
  return { verdict: d.verdict, score: d.score, indicator: d.hit ? matcher.entryValue(d.hit.entry) : null, kind: d.hit?.kind ?? null };
};

const table: Array<[string, string, string | null, string | null]> = [
  // value, verdict, matched indicator, kind
  ['example.com', 'block', 'example.com', 'exact'],
  ['x.example.com', 'block', 'example.com', 'parent'],
  ['cdn.example.com', 'allow', 'cdn.example.com', 'exact'],
  ['img.cdn.example.com', 'allow', 'cdn.example.com', 'parent'],
  ['ads.shop.example.net', 'allow', 'shop.example.net', 'parent'],
  ['shop.example.net', 'allow', 'shop.example.net', 'exact'],
  ['example.net', 'allow', null, null],
  ['notexample.com', 'allow', null, null],
  ['mon.example.org', 'monitor', 'mon.example.org', 'exact'],
  ['low.example.org', 'block', 'low.example.org', 'exact'],
  ['10.200.3.4', 'block', '10.0.0.0/8', 'cidr'],
  ['10.1.2.3', 'block', '10.0.0.0/8', 'cidr'],
  ['11.0.0.1', 'allow', null, null],
  ['203.0.113.7', 'block', '203.0.113.7', 'exact'],
  ['203.0.113.8', 'block', '203.0.113.0/24', 'cidr'],
  ['198.51.100.70', 'allow', '198.51.100.64/26', 'cidr'],
  ['198.51.100.10', 'block', '198.51.100.0/24', 'cidr'],
  ['198.51.100.200', 'block', '198.51.100.0/24', 'cidr'],
  ['::ffff:10.9.9.9', 'block', '10.0.0.0/8', 'cidr'],
  ['2001:db8:ffff::1', 'block', '2001:db8::/32', 'cidr'],
  ['2001:0db8:0001:0000:0000:0000:0000:0005', 'block', '2001:db8:1::5', 'exact'],
  ['2001:db9::1', 'allow', null, null],
  ['https://files.example.edu/payload.exe', 'block', 'https://files.example.edu/payload.exe', 'exact'],
  ['http://FILES.example.edu:80/a/../payload.exe#frag', 'block', 'https://files.example.edu/payload.exe', 'exact'],
  ['https://files.example.edu/other.exe', 'allow', null, null],
  ['http://deep.example.com/anything', 'block', 'example.com', 'host'],
  ['http://10.1.1.1/x', 'block', '10.0.0.0/8', 'host'],
  ['http://good.example.io/bad?x=1', 'allow', 'good.example.io', 'host'],
  ['a'.repeat(32), 'block', 'a'.repeat(32), 'exact'],
  ['B'.repeat(40), 'block', 'b'.repeat(40), 'exact'],
  ['c'.repeat(64), 'block', 'c'.repeat(64), 'exact'],
  ['d'.repeat(64), 'allow', null, null],
];

t.test('answers every kind of lookup', async (t) => {
  for (const [value, verdict, indicator, kind] of table) {
    t.match(check(m, value), { verdict, indicator, kind }, value);
  }
});

t.test('a wider network that scores higher wins over a weaker, more specific one', async (t) => {
  // 10.1.0.0/16 (score 30) sits inside 10.0.0.0/8 (score 90): the /8 answers, so a weak
  // listing can never unblock part of a strong one.
  t.match(check(m, '10.1.0.1'), { verdict: 'block', score: 90, indicator: '10.0.0.0/8' });
});

t.test('two feeds listing one value make one indicator with a higher score', async (t) => {
  const d = decide(m, parseQuery('low.example.org', 'domain'));
  const body = describe(d);
  t.same(body.sources.map((s) => [s.feed, s.confidence]), [['domains', 80], ['low', 50]]);
  t.equal(body.score, 90, 'noisy-OR of 80 and 50');
});

t.test('a set survives the trip through bytes and answers the same', async (t) => {
  const file = Buffer.concat(packImage(setToImage(m.set)));
  const copy = new Matcher(imageToSet(unpackImage(file, 'test')));
  for (const [value] of table) t.same(check(copy, value), check(m, value), value);
});

t.test('exact-only entries cover their own name alone', async (t) => {
  const { buildIndicatorSet } = await import('../../src/indicators/build.js');
  const { ObservationList } = await import('../../src/indicators/observations.js');
  const { compileSet } = await import('../../src/match/compile.js');
  const observations = new ObservationList();
  observations.push({ type: 'domain', value: 'only.example.com', action: 'block', exactOnly: true });
  const { set } = buildIndicatorSet({
    version: 1,
    now: 1,
    policy: { block_at: 70, monitor_at: 40 },
    feeds: [{ feed: 'rpz', confidence: 90, listedAt: 1, observations }],
    allowlists: [],
  });
  const rpz = new Matcher(compileSet(set));
  t.equal(check(rpz, 'only.example.com').verdict, 'block');
  t.equal(check(rpz, 'sub.only.example.com').verdict, 'allow');
});

t.test('negative lookups over many names never report a match', async (t) => {
  const names = Array.from({ length: 20_000 }, (_, i) => `n${i}.listed.example`).join('\n');
  const big = matcherFor([{ name: 'big', format: 'text', type: 'domain', body: names }]);
  let hits = 0;
  for (let i = 0; i < 20_000; i++) if (big.lookupDomain(`n${i}.unlisted.example`)) hits++;
  t.equal(hits, 0, 'the Bloom filter only filters; the table decides');
  let found = 0;
  for (let i = 0; i < 20_000; i++) if (big.lookupDomain(`n${i}.listed.example`)) found++;
  t.equal(found, 20_000, 'and every listed name is found');
});
