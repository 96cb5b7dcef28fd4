// Ageing with a fixed clock: one listing, seen once, moves from block to monitor to gone.
import t from 'tap';
import { parseBody } from '../helpers/feeds.js';
import { buildIndicatorSet } from '../../src/indicators/build.js';
import { DEFAULT_DECAY, decayFactor, scoreParts } from '../../src/indicators/score.js';
import { compileSet } from '../../src/match/compile.js';
import { Matcher } from '../../src/match/matcher.js';
import { parseQuery } from '../../src/match/query.js';
import { decide, describe } from '../../src/match/verdict.js';

const DAY = 86_400;
const LISTED_AT = 1_700_000_000;

function at(ageDays: number, body = 'c2.example.net\n198.51.100.7\n' + 'd'.repeat(64) + '\n') {
  const observations = parseBody(body, { format: 'text' }).list;
  const { set, expired } = buildIndicatorSet({
    version: 1,
    now: LISTED_AT + ageDays * DAY,
    policy: { block_at: 70, monitor_at: 40 },
    feeds: [{ feed: 'f', confidence: 80, listedAt: LISTED_AT, observations }],
    allowlists: [],
  });
  return { matcher: new Matcher(compileSet(set)), expired };
}

t.test('a domain listed once: block, then monitor, then expired', async (t) => {
  const verdict = (age: number) => decide(at(age).matcher, parseQuery('c2.example.net', 'domain'));
  t.match(verdict(0), { verdict: 'block', score: 80 });
  t.match(verdict(5), { verdict: 'monitor', score: 67 }, '80 x (1 - 5/30) = 66.7');
  t.match(verdict(15), { verdict: 'monitor', score: 40 }, 'half the lifetime: half the confidence');
  t.match(verdict(20), { verdict: 'allow', score: 27 }, 'below monitor_at, still in the set');
  const gone = at(31);
  t.equal(decide(gone.matcher, parseQuery('c2.example.net', 'domain')).hit, undefined, 'past its lifetime it left the set');
  t.equal(gone.expired, 2, 'the domain and the address expired; the hash lives a year');
});

t.test('types age at their own pace: an address before a hash', async (t) => {
  const { matcher } = at(14);
  t.equal(decide(matcher, parseQuery('198.51.100.7', 'ip')).hit, undefined, 'an address lives 14 days');
  const hash = decide(matcher, parseQuery('d'.repeat(64), 'hash'));
  t.equal(hash.verdict, 'block', 'a hash decays slowly at first (speed 0.5)');
  t.ok(decayFactor(14 * DAY, DEFAULT_DECAY.sha256) > 0.99);
  t.ok(decayFactor(300 * DAY, DEFAULT_DECAY.sha256) < 0.4, 'and falls near the end of its year');
});

t.test('explain shows each source decayed by its age', async (t) => {
  const { matcher } = at(6);
  const body = describe(decide(matcher, parseQuery('c2.example.net', 'domain')), { decay: DEFAULT_DECAY, now: LISTED_AT + 6 * DAY });
  t.match(body.score_parts, { corroboration: 1, combined_now: 64, sources: [{ feed: 'f', confidence: 80, ageDays: 6, decay: 0.8, score: 64 }] });
  const two = scoreParts(
    [
      { feed: 'a', confidence: 80, lastSeen: LISTED_AT },
      { feed: 'b', confidence: 80, lastSeen: LISTED_AT },
    ],
    DEFAULT_DECAY.domain,
    LISTED_AT,
  );
  t.equal(two.combined, 96, 'two independent sources at 80 corroborate to 96');
});
