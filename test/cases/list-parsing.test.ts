// Regression tests for the list-parsing bug reports: each kind of failure is checked in every
// format it could reach, not only the one where it was reported.
import t from 'tap';
import '../helpers/quiet.js';
import { keys, matcherFor, parseBody } from '../helpers/feeds.js';
import { parseQuery } from '../../src/match/query.js';
import { decide } from '../../src/match/verdict.js';

const verdictOf = (m: ReturnType<typeof matcherFor>, value: string, kind: Parameters<typeof parseQuery>[1] = 'value') =>
  decide(m, parseQuery(value, kind)).verdict;

t.test('PUB-001: CRLF and bare CR line ends leave no carriage return in any format', async (t) => {
  const bodies: Record<string, string> = {
    hosts: '0.0.0.0 ads.example.com\r\n0.0.0.0 track.example.net\r\n# vendor list\r\n',
    text: 'ads.example.com\r\ntrack.example.net\r\n# vendor list\r\n',
    adblock: '||ads.example.com^\r\n||track.example.net^\r\n! vendor list\r\n',
    csv: 'domain,kind\r\nads.example.com,ads\r\ntrack.example.net,ads\r\n# vendor list\r\n',
  };
  for (const [format, crlf] of Object.entries(bodies)) {
    for (const [ending, body] of [['CRLF', crlf], ['CR', crlf.replace(/\r\n/g, '\r')]] as const) {
      const extra = format === 'csv' ? { csv: { column: 'domain' } } : {};
      const report = parseBody(body, { format, ...extra });
      t.same(keys(report), ['domain:ads.example.com', 'domain:track.example.net'], `${format} ${ending}`);
      t.equal(report.invalid.count, 0, `${format} ${ending}: nothing invalid`);
      t.notOk(report.observations.some((o) => /[\r\n\x00-\x1f]/.test(o.value)), 'no control characters');
      const m = matcherFor([{ name: 'f', format, body, ...extra }]);
      t.equal(verdictOf(m, 'ads.example.com'), 'block');
      t.equal(verdictOf(m, 'track.example.net'), 'block');
    }
  }
});

t.test('PUB-002: a UTF-8 byte order mark is dropped in every format', async (t) => {
  const bom = '\ufeff';
  t.same(keys(parseBody(`${bom}malware.example.com\nphish.example.org\n`, { format: 'text', type: 'domain' })), [
    'domain:malware.example.com',
    'domain:phish.example.org',
  ]);
  const commented = parseBody(`${bom}# comment\nmalware.example.com\n`, { format: 'text' });
  t.same(keys(commented), ['domain:malware.example.com'], 'a BOM before a comment still yields a comment');
  t.equal(commented.invalid.count, 0);

  const csv = parseBody(`${bom}url,threat\nhttp://malware.example.com/a,malware\n`, { format: 'csv', csv: { column: 'url' } });
  t.same(keys(csv), ['url:http://malware.example.com/a'], "the first CSV column is named 'url'");

  const json = parseBody(`${bom}["malware.example.com","phish.example.org"]`, { format: 'json' });
  t.same(keys(json), ['domain:malware.example.com', 'domain:phish.example.org'], 'the JSON document parses');
});

t.test('PUB-004: every name after a hosts address is read, housekeeping names never', async (t) => {
  const body = [
    '127.0.0.1 localhost',
    '127.0.0.1 localhost.localdomain',
    '127.0.0.1 local',
    '255.255.255.255 broadcasthost',
    '::1 localhost ip6-localhost ip6-loopback',
    'fe80::1%lo0 localhost',
    'ff02::1 ip6-allnodes',
    '0.0.0.0 0.0.0.0',
    '0.0.0.0 a.example.com b.example.com c.example.net',
    '0.0.0.1 d.example.org',
    ':: e.example.org',
    '0.0.0.0 f.example.com0.0.0.0 g.example.com',
    '',
  ].join('\n');
  const report = parseBody(body, { format: 'hosts' });
  t.same(keys(report), [
    'domain:a.example.com',
    'domain:b.example.com',
    'domain:c.example.net',
    'domain:d.example.org',
    'domain:e.example.org',
    'domain:g.example.com',
  ]);
  t.equal(report.invalid.count, 1);
  t.match(report.invalid.examples[0], { line: 12, value: 'f.example.com0.0.0.0', reason: /all digits/ });
  const m = matcherFor([{ name: 'hosts', format: 'hosts', body }]);
  for (const name of ['localhost', 'localhost.localdomain', 'broadcasthost', 'ip6-localhost', 'ip6-loopback', 'ip6-allnodes']) {
    t.equal(verdictOf(m, name, 'domain'), 'allow', `${name} is never an indicator`);
  }
  t.equal(verdictOf(m, '0.0.0.0', 'ip'), 'allow', 'the sink address used as a name is not an indicator');
});

t.test('PUB-005: trailing dots are stripped before the public-suffix test, on both sides', async (t) => {
  const body = 'phish.example.net.\nEXAMPLE.org.\nco.uk.\ncom.\n.\n';
  const report = parseBody(body, { format: 'text', type: 'domain' });
  t.same(keys(report), ['domain:phish.example.net', 'domain:example.org']);
  t.equal(report.invalid.count, 3);
  t.same(report.invalid.examples.map((e) => e.value), ['co.uk.', 'com.', '.']);
  t.match(report.invalid.reasons, { 'public suffix alone is not enforceable': 2, 'empty name': 1 });

  const m = matcherFor([{ name: 'f', format: 'text', type: 'domain', body }]);
  for (const [value, kind] of [
    ['phish.example.net.', 'domain'],
    ['.phish.example.net', 'domain'],
    ['http://phish.example.net.:80/login', 'url'],
  ] as const) {
    const d = decide(m, parseQuery(value, kind));
    t.equal(d.verdict, 'block', value);
    t.equal(m.entryValue(d.hit!.entry), 'phish.example.net');
  }
  t.throws(() => parseQuery('phish..example.net', 'domain'), { code: 'SLUICE_ERR_BAD_REQUEST', message: /empty label/ });
});

t.test('PUB-007: Unicode names are stored as punycode and match either spelling', async (t) => {
  const body = 'bücher.example.com\nBÜCHER.example.com\nxn--mnchen-3ya.example.net\nxn--.example.com\n';
  const report = parseBody(body, { format: 'text', type: 'domain' });
  t.same([...new Set(keys(report))], ['domain:xn--bcher-kva.example.com', 'domain:xn--mnchen-3ya.example.net']);
  t.ok(report.observations.every((o) => /^[\x20-\x7e]+$/.test(o.value)), 'no Unicode is stored');
  const m = matcherFor([{ name: 'f', format: 'text', type: 'domain', body }]);
  t.equal(m.size, 2, 'two spellings of one name are one indicator');
  t.equal(verdictOf(m, 'xn--bcher-kva.example.com', 'domain'), 'block');
  t.equal(verdictOf(m, 'bücher.example.com', 'domain'), 'block');
});

t.test('PUB-009: only adblock rules a DNS gateway can honour exactly are enforced', async (t) => {
  const body = [
    '! Title: test list',
    '||ads.example.net^',
    '@@||cdn.ads.example.net^',
    '||tracker.example.com^$third-party',
    'example.org##.banner',
    'example.org#@#.banner',
    '||ga^$domain=~example.ga',
    '||adx-*.example.com^',
    '||192.0.2.10^',
    '/banner/*/img^',
    '||track.example.org/pixel.gif',
    '',
  ].join('\n');
  const report = parseBody(body, { format: 'adblock' });
  t.same(
    report.observations.map((o) => `${o.action}:${o.type}:${o.value}`),
    ['block:domain:ads.example.net', 'allow:domain:cdn.ads.example.net', 'block:ipv4:192.0.2.10', 'block:url:http://track.example.org/pixel.gif'],
  );
  t.equal(report.skipped.count, 6, 'cosmetic, modifier, wildcard and path rules are counted as skipped');
  t.ok(report.skipped.examples.every((e) => typeof e.line === 'number'), 'each with its line');
  t.notOk(report.observations.some((o) => o.value.includes('*')), 'no literal wildcard is stored');

  const m = matcherFor([{ name: 'f', format: 'adblock', body }]);
  t.equal(verdictOf(m, 'x.ads.example.net'), 'block');
  t.equal(verdictOf(m, 'cdn.ads.example.net'), 'allow');
  t.equal(verdictOf(m, 'img.cdn.ads.example.net'), 'allow');
  for (const name of ['example.org', 'ga', 'track.example.org', 'tracker.example.com']) {
    t.equal(verdictOf(m, name, 'domain'), 'allow', `${name} is never blocked`);
  }
  t.equal(verdictOf(m, 'http://track.example.org/pixel.gif', 'url'), 'block', 'the URL rule works at URL level');
});

t.test('PUB-011: ambiguous IPv4 text is refused in feeds; URL hosts read as browsers do', async (t) => {
  const body = '010.1.1.1\n192.0.02.1\n198.51.100.007\n0300.0000.0002.0001\n203.0.113.0\n192.0.2.1\n';
  const report = parseBody(body, { format: 'text', type: 'ip' });
  t.same(keys(report), ['ipv4:203.0.113.0', 'ipv4:192.0.2.1']);
  t.same(report.invalid.examples.map((e) => [e.line, e.value]), [
    [1, '010.1.1.1'],
    [2, '192.0.02.1'],
    [3, '198.51.100.007'],
    [4, '0300.0000.0002.0001'],
  ]);
  t.ok(report.invalid.examples.every((e) => /ambiguous/.test(e.reason)));

  const m = matcherFor([{ name: 'f', format: 'text', type: 'ip', body }]);
  for (const url of ['http://3221225985/a', 'http://0xc0000201/a', 'http://0300.0.2.1/a', 'http://192.0.513/a']) {
    t.equal(verdictOf(m, url, 'url'), 'block', url);
  }
  t.throws(() => parseQuery('3221225985', 'ip'), { code: 'SLUICE_ERR_BAD_REQUEST', param: 'ip' });
});

t.test('PUB-014: a slash followed by a path is not a prefix length', async (t) => {
  const body = '198.51.100.23/1/panel/login.php\n203.0.113.9/0/gate.php\n192.0.2.44/24/\n192.0.2.0/0\n2001:db8::7/0\n';
  const report = parseBody(body, { format: 'text', type: 'ip' });
  t.same(keys(report), ['ipv4:198.51.100.23', 'ipv4:203.0.113.9', 'ipv4:192.0.2.44']);
  t.equal(report.adjusted.count, 3, 'each path drop is reported');
  t.same(report.invalid.examples.map((e) => e.value), ['192.0.2.0/0', '2001:db8::7/0']);

  const m = matcherFor([
    { name: 'paths', format: 'text', type: 'ip', body },
    { name: 'other', format: 'text', type: 'ip', body: '198.51.100.200\n' },
  ]);
  t.equal(verdictOf(m, '198.51.100.200'), 'block', "the other feed's address is untouched");
  t.equal(verdictOf(m, '198.51.100.24'), 'allow', 'no /1 or /24 network was made');
  t.equal(verdictOf(m, '8.8.8.8'), 'allow', 'nothing became 0.0.0.0/0');
});

t.test('PUB-036: mixed forms in one column: ip:port, CIDRs beside addresses, tab netblocks', async (t) => {
  const threatfox = [
    '# "first_seen_utc","ioc_id","ioc_value","ioc_type","threat_type","malware_printable","confidence_level","tags"',
    '"2024-05-01 10:00:00","2001","198.51.100.61:4444","ip:port","botnet_cc","ExampleRAT","75","rat"',
    '"2024-05-01 10:01:00","2002","[2001:db8::61]:443","ip:port","botnet_cc","ExampleRAT","50","rat"',
    '"2024-05-01 10:02:00","2003","c2.example.com","domain","botnet_cc","ExampleRAT","100","rat"',
    '',
  ].join('\n');
  const csv = {
    column: 'ioc_value',
    type_column: 'ioc_type',
    confidence_column: 'confidence_level',
    tag_columns: ['malware_printable'],
    first_seen_column: 'first_seen_utc',
  };
  const report = parseBody(threatfox, { format: 'csv', csv });
  t.same(
    report.observations.map((o) => [o.type, o.value, o.confidence, o.tags]),
    [
      ['ipv4', '198.51.100.61', 75, ['ExampleRAT', 'port:4444']],
      ['ipv6', '2001:db8::61', 50, ['ExampleRAT', 'port:443']],
      ['domain', 'c2.example.com', 100, ['ExampleRAT']],
    ],
  );
  t.equal(report.observations[0]!.firstSeen, Date.UTC(2024, 4, 1, 10, 0, 0) / 1000);

  const tab = parseBody('203.0.113.0\t203.0.113.255\t24\t1234\tExampleNet\tZZ\n', {
    format: 'csv',
    csv: { delimiter: '\t', column: 0, end_column: 1 },
  });
  t.same(keys(tab), ['cidr:203.0.113.0/24'], 'a start/end netblock is one network');

  const cidrs = parseBody('198.51.100.62\n198.51.100.64/26\n', { format: 'text', type: 'cidr' });
  t.same(keys(cidrs), ['ipv4:198.51.100.62', 'cidr:198.51.100.64/26']);
});

t.test('PUB-037: defanged indicators are refanged; unknown markers are not guessed', async (t) => {
  const body = [
    'hxxps://bad[.]example[.]com/drop[.]php',
    'hXXp://198.51.100[.]14/a',
    'evil(dot)example(dot)net',
    'login[.]example[.]org',
    'http[:]//track.example.com[/]p',
    'bad{.}example{.}com',
    '',
  ].join('\n');
  const report = parseBody(body, { format: 'text', type: 'auto' });
  t.same(keys(report), [
    'url:https://bad.example.com/drop.php',
    'url:http://198.51.100.14/a',
    'domain:evil.example.net',
    'domain:login.example.org',
    'url:http://track.example.com/p',
  ]);
  t.equal(report.invalid.count, 1);
  t.equal(report.invalid.examples[0]!.value, 'bad{.}example{.}com');
  t.equal(report.observations[2]!.original, 'evil(dot)example(dot)net', 'the original text is kept for explain');
});
