import t from 'tap';
import '../helpers/quiet.js';
import { fixture, keys, matcherFor, parseBody } from '../helpers/feeds.js';
import { parseQuery } from '../../src/match/query.js';
import { decide } from '../../src/match/verdict.js';

const verdict = (m: ReturnType<typeof matcherFor>, value: string) => decide(m, parseQuery(value, 'value')).verdict;
const rpz = (body: string, origin?: string) => parseBody(body, { format: 'rpz', ...(origin ? { rpz: { origin } } : {}) });
const SOA = '@ SOA localhost. hostmaster.localhost. ( 1 3600 600 86400 300 )\n  NS localhost.';

t.test('the urlhaus-filter zone loads fully', async (t) => {
  const body = fixture('rpz/urlhaus-filter-rpz.conf');
  const report = parseBody(body, { format: 'rpz' });
  // 2689 records = grep -cE '^[^ ;$].* CNAME \.$' (see test/fixtures/rpz/README.md); every other
  // line is a comment, a blank line, $TTL, the SOA or the NS. Every record is read: 2688 names,
  // and one name that is a public suffix (Public Suffix List, private section), which sluice
  // refuses in every format.
  t.equal(report.list.size + report.invalid.count, 2689);
  t.equal(report.list.size, 2688);
  t.same(report.invalid.examples, [{ line: 213, value: 'ams1.vultrobjects.com', reason: 'public suffix alone is not enforceable' }]);
  t.equal(report.skipped.count, 0, 'nothing skipped: SOA and NS are the zone itself');
  const obs = report.observations;
  t.ok(obs.every((o) => o.type === 'domain' && o.action === 'block' && o.exactOnly), 'exact-name NXDOMAIN blocks');
  const byValue = new Map(obs.map((o) => [o.value, o]));
  t.match(byValue.get('0022a601.pphost.net'), { line: 12 });
  t.match(byValue.get('111.190.202.64.host.secureserver.net'), { line: 20 });
  t.match(byValue.get('xn--on3b15m2lco2u.com'), { line: 2564 });
  t.match(byValue.get('zyzzyva.pipesnmetals.com'), { line: 2700 });

  const m = matcherFor([{ name: 'urlhaus-rpz', format: 'rpz', body }]);
  t.equal(verdict(m, '0022a601.pphost.net'), 'block');
  t.equal(verdict(m, 'zyzzyva.pipesnmetals.com'), 'block');
  t.equal(verdict(m, 'www.zyzzyva.pipesnmetals.com'), 'allow', 'an exact trigger does not cover names below it');
  t.equal(verdict(m, 'pipesnmetals.com'), 'allow', 'nor its parent');
});

t.test('a zone with one out-of-zone record loads all but that record', async (t) => {
  const body = `$ORIGIN rpz.example.\n${SOA}\na.example.com CNAME .\nb.example.com.rpz.example. CNAME .\nc.example.org. CNAME .\nd.example.net CNAME .\n`;
  const report = rpz(body);
  t.same(keys(report), ['domain:a.example.com', 'domain:b.example.com', 'domain:d.example.net']);
  t.equal(report.invalid.count, 1);
  t.match(report.invalid.examples[0], { line: 6, value: 'c.example.org.', reason: 'owner name outside the zone rpz.example' });
});

t.test('owner names: relative, absolute, @, blank, $ORIGIN moves', async (t) => {
  const body = [
    '$TTL 1h',
    'rpz.example. 300 IN SOA ns.rpz.example. admin.rpz.example. (',
    '    7 ; serial',
    '    3600 600 86400 300 )',
    '@ IN NS ns.rpz.example.',
    'one.example.com IN 60 CNAME .',
    '    AAAA ::1 ; same owner: local data',
    'Two.Example.COM. CNAME .',
    'two.example.com.rpz.example. 60 CNAME .',
    '$ORIGIN example.net.rpz.example.',
    'three CNAME .',
    '@ CNAME *.',
    '$ORIGIN sub',
    'four CNAME .',
    '',
  ].join('\n');
  const report = rpz(body);
  t.same(keys(report), ['domain:one.example.com', 'domain:two.example.com', 'domain:three.example.net', 'domain:example.net', 'domain:four.sub.example.net']);
  t.match(report.invalid.examples, [{ line: 8, value: 'Two.Example.COM.', reason: /outside the zone rpz.example/ }], 'the SOA owner is the apex');
  t.equal(report.invalid.count, 1);
  t.match(report.skipped.examples, [{ line: 7, reason: 'unsupported action: local data' }]);
  t.same(report.observations.find((o) => o.value === 'example.net')?.tags, ['rpz:nodata']);

  const configured = rpz('bad.example.com CNAME .\nbad.example.com.rpz.example. CNAME .\n', 'rpz.example.');
  t.same(keys(configured), ['domain:bad.example.com', 'domain:bad.example.com'], 'a configured origin with or without its dot');
});

t.test('without any origin, relative names are the triggers and absolute ones cannot be placed', async (t) => {
  const report = rpz(`$TTL 30\n${SOA}\na.example.com CNAME .\nb.example.com.rpz.example. CNAME .\n`);
  t.same(keys(report), ['domain:a.example.com']);
  t.match(report.invalid.examples, [{ line: 5, reason: /unknown origin \(set rpz.origin\)/ }]);
});

t.test('actions', async (t) => {
  const body = [
    SOA,
    'nx.example.com CNAME .',
    'nodata.example.com CNAME *.',
    'pass.example.com CNAME rpz-passthru.',
    'drop.example.com CNAME rpz-drop.',
    'tcp.example.com CNAME rpz-tcp-only.',
    'walled.example.com CNAME walled-garden.example.net.',
    'relative.example.com CNAME rpz-passthru',
    'a.example.com A 192.0.2.1',
    'txt.example.com TXT "policy ; not a comment" "(nor this)"',
    'mx.example.com MX 10 mail.example.net.',
    'two.example.com CNAME . .',
    '',
  ].join('\n');
  const report = rpz(body, 'rpz.example');
  t.same(
    report.observations.map((o) => [o.value, o.action, o.tags ?? [], o.exactOnly ?? false]),
    [
      ['nx.example.com', 'block', [], true],
      ['nodata.example.com', 'block', ['rpz:nodata'], true],
      ['pass.example.com', 'allow', [], true],
      ['drop.example.com', 'block', ['rpz:drop'], true],
    ],
  );
  t.same(report.skipped.reasons, { 'unsupported action: rpz-tcp-only': 1, 'unsupported action: local data': 5 });
  t.same(report.invalid.reasons, { 'CNAME with other than one target': 1 });
});

t.test('triggers', async (t) => {
  const body = [
    SOA,
    '*.wild.example.com CNAME .',
    'exact.example.com CNAME .',
    '24.0.113.0.203.rpz-ip CNAME .',
    '32.1.0.0.127.rpz-ip CNAME .',
    '128.zz.1.db8.2001.rpz-ip CNAME .',
    '48.zz.85b8.db8.2001.rpz-ip CNAME rpz-passthru.',
    '64.0.0.0.0.0.0.db8.2001.rpz-ip CNAME .',
    '24.0.2.0.192.rpz-nsip CNAME .',
    'ns.example.com.rpz-nsdname CNAME .',
    '32.1.2.0.192.rpz-client-ip CNAME .',
    '40.0.113.0.203.rpz-ip CNAME .',
    '24.zz.1.zz.2001.rpz-ip CNAME .',
    'nolen.rpz-ip CNAME .',
    'a.*.example.com CNAME .',
    '192.0.2.7 CNAME .',
    '*.com CNAME .',
    '',
  ].join('\n');
  const report = rpz(body, 'rpz.example');
  t.same(keys(report), [
    'domain:wild.example.com',
    'domain:exact.example.com',
    'cidr:203.0.113.0/24',
    'ipv4:127.0.0.1',
    'ipv6:2001:db8:1::',
    'cidr:2001:db8:85b8::/48',
    'cidr:2001:db8::/64',
  ]);
  const obs = report.observations;
  t.notOk(obs[0]!.exactOnly, '*. covers the names below');
  t.ok(obs[1]!.exactOnly);
  t.equal(obs[5]!.action, 'allow');
  t.same(report.skipped.reasons, { 'unsupported trigger: rpz-nsip': 1, 'unsupported trigger: rpz-nsdname': 1, 'unsupported trigger: rpz-client-ip': 1 });
  t.same(report.invalid.reasons, {
    'rpz-ip prefix length over 32 for an IPv4 address': 1,
    'rpz-ip trigger is not an address': 1,
    'rpz-ip trigger without a prefix length': 1,
    'a wildcard may only be the first label': 1,
    'QNAME trigger is an address (IP triggers are written as rpz-ip names)': 1,
    'public suffix alone is not enforceable': 1,
  });

  const m = matcherFor([{ name: 'z', format: 'rpz', rpz: { origin: 'rpz.example' }, body }]);
  t.equal(verdict(m, 'a.b.wild.example.com'), 'block');
  t.equal(verdict(m, 'wild.example.com'), 'block');
  t.equal(verdict(m, 'sub.exact.example.com'), 'allow');
  t.equal(verdict(m, '203.0.113.200'), 'block');
  t.equal(verdict(m, '2001:db8:85b8::1'), 'allow', 'a passthru network is an allow entry');
});

t.test('one bad record is counted and skipped, never the whole zone', async (t) => {
  const body = [
    SOA,
    'a.example.com CNAME .',
    'b.example.com BOGUS .',
    'c.example.com CNAME ( .',
    'd.example.com CNAME .',
    'e.example.com TXT "unterminated',
    'f.example.com )',
    'g.example.com',
    '  CNAME .',
    '$INCLUDE other.zone',
    '$TTL soon',
    '$NONSENSE',
    'h.example.com CNAME .',
    '',
  ].join('\n');
  const report = rpz(body, 'rpz.example');
  t.same(keys(report), ['domain:a.example.com', 'domain:d.example.com', 'domain:g.example.com', 'domain:h.example.com']);
  t.same(
    report.invalid.examples.map((e) => [e.line, e.reason]),
    [
      [4, 'unknown record type "BOGUS"'],
      [5, '"(" is never closed'],
      [7, 'unterminated quoted string'],
      [8, 'unbalanced ")"'],
      [9, 'no record type'],
      [12, '$TTL without a valid TTL'],
      [13, 'unknown directive $NONSENSE'],
    ],
  );
  t.same(report.skipped.reasons, { 'unsupported directive: $INCLUDE': 1 });

  const eof = rpz(`${SOA}\nx.example.com CNAME ( .\ny.example.com CNAME .\n`, 'rpz.example');
  t.same(keys(eof), ['domain:y.example.com'], 'a "(" open at the end gives back the lines after it');
  t.match(eof.invalid.examples, [{ line: 3, reason: '"(" is never closed' }]);
});

t.test('a body that is not a zone at all is refused as a whole', async (t) => {
  t.throws(() => rpz('0.0.0.0 ads.example.com\n0.0.0.0 track.example.net\n'), { code: 'SLUICE_ERR_FEED_PARSE', message: /not a DNS zone/ });
  t.throws(() => rpz('{"domains": ["ads.example.com"]}'), { message: /not a DNS zone/ });
  t.throws(() => rpz('; only a comment\n$TTL 30\n'), { message: /no entries/ }, 'an empty zone is no update either');
});
