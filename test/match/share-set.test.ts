// Sets in shared memory: what DNS threads read instead of a copy each. The shared set must
// answer exactly as the set it came from.
import t from 'tap';
import '../helpers/quiet.js';
import { matcherFor } from '../helpers/feeds.js';
import { isShared, setToImage, shareSet } from '../../src/match/codec.js';
import { Matcher } from '../../src/match/matcher.js';
import { parseQuery } from '../../src/match/query.js';
import { decide } from '../../src/match/verdict.js';

const original = matcherFor(
  [
    { name: 'domains', format: 'text', type: 'domain', confidence: 80, body: 'example.com\nads.example.net\n' },
    { name: 'nets', format: 'text', type: 'ip', confidence: 90, body: '10.0.0.0/8\n2001:db8::/32\n203.0.113.7\n' },
    { name: 'urls', format: 'text', type: 'url', confidence: 85, body: 'https://files.example.edu/payload.exe\n' },
  ],
  'good.example.com\n10.1.0.0/16\n',
).set;

t.test('every section of a shared set is in shared memory, with the same bytes', async (t) => {
  const shared = shareSet(original);
  t.equal(isShared(original), false, 'a compiled set is not shared');
  t.equal(isShared(shared), true, 'the shared one is');
  const before = setToImage(original).sections;
  const after = setToImage(shared).sections;
  t.same(Object.keys(after).sort(), Object.keys(before).sort(), 'the same sections');
  for (const [name, bytes] of Object.entries(before)) {
    t.ok(after[name]!.buffer instanceof SharedArrayBuffer, `${name} is shared`);
    t.same(Buffer.from(after[name]!), Buffer.from(bytes), `${name} holds the same bytes`);
  }
  t.equal(shared.meta, original.meta, 'the same meta');
});

t.test('a shared set answers as the original', async (t) => {
  const a = new Matcher(original);
  const b = new Matcher(shareSet(original));
  const values = [
    'example.com', 'x.example.com', 'good.example.com', 'ads.example.net', 'example.net',
    '10.2.3.4', '10.1.2.3', '11.0.0.1', '203.0.113.7', '2001:db8::1', '2001:db9::1',
    'https://files.example.edu/payload.exe', 'https://files.example.edu/other.exe', 'http://x.example.com/a',
  ];
  for (const v of values) {
    const x = decide(a, parseQuery(v, 'value'));
    const y = decide(b, parseQuery(v, 'value'));
    t.same({ verdict: y.verdict, score: y.score, entry: y.hit?.entry }, { verdict: x.verdict, score: x.score, entry: x.hit?.entry }, v);
  }
  t.equal(decide(b, parseQuery('x.example.com', 'value')).verdict, 'block', 'a listed name still blocks');
  t.equal(decide(b, parseQuery('good.example.com', 'value')).verdict, 'allow', 'an allowlisted one is still allowed');
});

t.test('sharing a set that is shared already copies nothing', async (t) => {
  const shared = shareSet(original);
  const again = shareSet(shared);
  const a = setToImage(shared).sections;
  const b = setToImage(again).sections;
  for (const name of Object.keys(a)) t.equal(b[name]!.buffer, a[name]!.buffer, `${name}: the same memory`);
});
