// Regression cases for RPZ zones (format: rpz).
import t from 'tap';
import '../helpers/quiet.js';
import { keys, matcherFor, parseBody } from '../helpers/feeds.js';
import { parseQuery } from '../../src/match/query.js';
import { decide } from '../../src/match/verdict.js';

const verdictOf = (m: ReturnType<typeof matcherFor>, value: string) => decide(m, parseQuery(value, 'value')).verdict;

const HEAD = ['$TTL 300', '@ SOA localhost. hostmaster.localhost. ( 2024050101 3600 600 86400 300 )', '  NS localhost.'];
const PASSTHRU = 'ok.bad.example.com CNAME rpz-passthru.';
const POLICY = [
  'bad.example.com CNAME .',
  '*.bad.example.com CNAME .',
  'nodata.example.net CNAME *.',
  'drop.example.org CNAME rpz-drop.',
  '24.0.113.0.203.rpz-ip CNAME .',
  'stray.example.net. CNAME .',
  'local.example.com A 192.0.2.99',
];
const RELATIVE = [...HEAD, PASSTHRU, ...POLICY].join('\n') + '\n';

/** The same zone with `$ORIGIN` and every in-zone owner fully qualified. */
function qualified(lines: string[]): string {
  const fq = lines.map((l) => (/^[^ $@;]/.test(l) && !l.startsWith('stray.') ? l.replace(/^(\S+)/, '$1.rpz.example.') : l));
  return ['$ORIGIN rpz.example.', ...fq].join('\n') + '\n';
}

t.test('PUB-034: RPZ triggers, actions, wildcards, rpz-ip and out-of-zone owners', async (t) => {
  const variants: Array<[string, string, Record<string, unknown>]> = [
    ['relative owners, feed origin rpz.example', RELATIVE, { rpz: { origin: 'rpz.example' } }],
    ['$ORIGIN and fully-qualified owners, feed origin rpz.example', qualified([...HEAD, PASSTHRU, ...POLICY]), { rpz: { origin: 'rpz.example' } }],
    ['$ORIGIN and fully-qualified owners, no feed origin', qualified([...HEAD, PASSTHRU, ...POLICY]), {}],
    ['passthru listed last', [...HEAD, ...POLICY, PASSTHRU].join('\n') + '\n', { rpz: { origin: 'rpz.example' } }],
  ];
  for (const [what, body, extra] of variants) {
    await t.test(what, async (t) => {
      const report = parseBody(body, { format: 'rpz', ...extra });
      t.same(keys(report).sort(), [
        'cidr:203.0.113.0/24',
        'domain:bad.example.com',
        'domain:bad.example.com',
        'domain:drop.example.org',
        'domain:nodata.example.net',
        'domain:ok.bad.example.com',
      ]);
      const obs = report.observations;
      t.match(obs.find((o) => o.value === 'ok.bad.example.com'), { action: 'allow' }, 'passthru is an allow entry');
      t.same(obs.find((o) => o.value === 'drop.example.org')?.tags, ['rpz:drop'], 'the DROP action is noted');
      t.same(obs.find((o) => o.value === 'nodata.example.net')?.tags, ['rpz:nodata']);
      t.equal(report.invalid.count, 1, 'exactly one reported error');
      t.match(report.invalid.examples[0], { value: 'stray.example.net.', reason: /outside the zone rpz\.example/ });
      t.equal(report.skipped.count, 1);
      t.match(report.skipped.examples[0], { value: /^local\.example\.com\S* A 192\.0\.2\.99$/, reason: 'unsupported action: local data' });

      const m = matcherFor([{ name: 'rpz', format: 'rpz', ...extra, body }]);
      t.equal(verdictOf(m, 'bad.example.com'), 'block');
      t.equal(verdictOf(m, 'x.bad.example.com'), 'block');
      t.equal(verdictOf(m, 'ok.bad.example.com'), 'allow');
      t.equal(verdictOf(m, 'nodata.example.net'), 'block');
      t.equal(verdictOf(m, 'sub.nodata.example.net'), 'allow', 'an exact trigger covers the name only');
      t.equal(verdictOf(m, 'drop.example.org'), 'block');
      t.equal(verdictOf(m, '203.0.113.9'), 'block');
      t.equal(verdictOf(m, 'stray.example.net'), 'allow', 'the out-of-zone record is not enforced');
      t.equal(verdictOf(m, 'local.example.com'), 'allow', 'local data is never a block');
    });
  }
});
