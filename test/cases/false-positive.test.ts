import t from 'tap';
import '../helpers/quiet.js';
import { matcherFor } from '../helpers/feeds.js';
import { parseQuery } from '../../src/match/query.js';
import { decide } from '../../src/match/verdict.js';

t.test('PUB-018: an allowlist entry covers its whole subtree and beats every feed', async (t) => {
  const m = matcherFor(
    [
      { name: 'strong', format: 'text', type: 'domain', confidence: 100, body: 'example.com\nads.shop.example.net\ncdn.example.com\n' },
      { name: 'also', format: 'hosts', confidence: 100, body: '0.0.0.0 img.cdn.example.com\n' },
    ],
    'cdn.example.com\nshop.example.net\n',
  );
  const verdict = (name: string) => decide(m, parseQuery(name, 'domain')).verdict;
  t.equal(verdict('cdn.example.com'), 'allow');
  t.equal(verdict('img.cdn.example.com'), 'allow', 'even when a second feed lists the child itself');
  t.equal(verdict('ads.shop.example.net'), 'allow', 'allowing a parent releases its listed children');
  t.equal(verdict('x.example.com'), 'block', 'the rest of example.com stays blocked');
  t.equal(verdict('example.com'), 'block');
});

t.test('PUB-006: an allowlist entry matches whatever case the feed used', async (t) => {
  const m = matcherFor(
    [
      { name: 'text', format: 'text', type: 'domain', body: 'Ads.Example.COM\nbad.example.com\n' },
      { name: 'hosts', format: 'hosts', body: '0.0.0.0 ADS.EXAMPLE.COM\n' },
    ],
    'ads.example.com\n',
  );
  const ads = decide(m, parseQuery('aDs.eXaMpLe.CoM', 'domain'));
  t.equal(ads.verdict, 'allow');
  t.same(m.entryFeeds(ads.hit!.entry).sort(), ['hosts', 'text'], 'one indicator with two sources');
  t.equal(decide(m, parseQuery('WWW.BAD.EXAMPLE.COM', 'domain')).verdict, 'block');
});
