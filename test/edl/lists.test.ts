import t from 'tap';
import '../helpers/quiet.js';
import { matcherFor } from '../helpers/feeds.js';
import { generateList } from '../../src/edl/generate.js';
import { capEntries, selectListEntries, type ListEntry } from '../../src/edl/lists.js';
import { listProblems, listWarnings } from '../../src/edl/check.js';
import { rpzIpOwner } from '../../src/edl/render/rpz.js';
import { csvField } from '../../src/edl/render/csv.js';
import { ALL_TYPES, HASH, listConfig, sample } from './fixture.js';

const body = (list: Record<string, unknown>, m = sample()) => generateList(m, listConfig(list)).page(1);

t.test('plain: aggregated networks, IPv4 first; names with their *. form; URLs without scheme', async (t) => {
  t.equal(
    body({ format: 'plain', types: ALL_TYPES }),
    [
      '# 1 names listed without their *. form: allowlisted names lie below them',
      '192.0.2.0/24',
      '198.51.100.0/24',
      '203.0.113.9',
      '2001:db8::/32',
      'bad.example.com',
      'evil.example.net',
      '*.evil.example.net',
      'exact.example.org',
      'files.example.org/a.exe',
      HASH,
      '',
    ].join('\n'),
  );
  t.equal(body({ types: ['ip'] }), '192.0.2.0/24\n198.51.100.0/24\n203.0.113.9\n2001:db8::/32\n', 'an IP list is the default');
  t.equal(body({ types: ['domain'], min_score: 40 }), '# 1 names listed without their *. form: allowlisted names lie below them\nbad.example.com\nevil.example.net\n*.evil.example.net\nexact.example.org\nmeh.example.com\n*.meh.example.com\n');
});

t.test('plain IP lists carve the allowlist out before aggregating', async (t) => {
  const m = matcherFor([{ name: 'n', format: 'text', type: 'ip', body: '203.0.113.0/25\n203.0.113.128/25\n' }], '203.0.113.77\n');
  t.equal(
    body({ types: ['ip'] }, m),
    ['203.0.113.0/26', '203.0.113.64/29', '203.0.113.72/30', '203.0.113.76', '203.0.113.78/31', '203.0.113.80/28', '203.0.113.96/27', '203.0.113.128/25', ''].join('\n'),
  );
});

t.test('fortigate: one entry a line, domain wildcards as FortiGate takes them', async (t) => {
  t.equal(body({ format: 'fortigate', types: ['domain'] }), '# 1 names listed without their *. form: allowlisted names lie below them\nbad.example.com\nevil.example.net\n*.evil.example.net\nexact.example.org\n');
  t.equal(body({ format: 'fortigate', types: ['url'] }), 'files.example.org/a.exe\n', 'without scheme, so it matches http and https');
  t.equal(body({ format: 'fortigate', types: ['ip'] }), '192.0.2.0/24\n198.51.100.0/24\n203.0.113.9\n2001:db8::/32\n');
});

t.test('ipset: a set per family, filled under a temporary name and swapped in', async (t) => {
  t.equal(
    body({ format: 'ipset', types: ['ip', 'domain'], set_name: 'tif' }),
    [
      '# sluice list l, set version 1, 4 networks',
      'create tif-v4 hash:net family inet maxelem 16777216 -exist',
      'create tif-v4-tmp hash:net family inet maxelem 16777216 -exist',
      'flush tif-v4-tmp',
      'add tif-v4-tmp 192.0.2.0/24 -exist',
      'add tif-v4-tmp 198.51.100.0/24 -exist',
      'add tif-v4-tmp 203.0.113.9 -exist',
      'swap tif-v4-tmp tif-v4',
      'destroy tif-v4-tmp',
      'create tif-v6 hash:net family inet6 maxelem 16777216 -exist',
      'create tif-v6-tmp hash:net family inet6 maxelem 16777216 -exist',
      'flush tif-v6-tmp',
      'add tif-v6-tmp 2001:db8::/32 -exist',
      'swap tif-v6-tmp tif-v6',
      'destroy tif-v6-tmp',
      '',
    ].join('\n'),
    'domains are not carried by an address set',
  );
});

t.test('nft: declared, flushed and filled in one transaction', async (t) => {
  t.equal(
    body({ format: 'nft', set_name: 'tif' }),
    [
      '# sluice list l, set version 1, 4 networks',
      'table inet sluice {',
      '\tset tif_v4 { type ipv4_addr; flags interval; }',
      '\tset tif_v6 { type ipv6_addr; flags interval; }',
      '}',
      'flush set inet sluice tif_v4',
      'flush set inet sluice tif_v6',
      'table inet sluice {',
      '\tset tif_v4 {',
      '\t\ttype ipv4_addr; flags interval;',
      '\t\telements = {',
      '\t\t\t192.0.2.0/24,',
      '\t\t\t198.51.100.0/24,',
      '\t\t\t203.0.113.9',
      '\t\t}',
      '\t}',
      '\tset tif_v6 {',
      '\t\ttype ipv6_addr; flags interval;',
      '\t\telements = {',
      '\t\t\t2001:db8::/32',
      '\t\t}',
      '\t}',
      '}',
      '',
    ].join('\n'),
  );
  const v4only = matcherFor([{ name: 'n', format: 'text', type: 'ip', body: '192.0.2.1\n' }]);
  t.notMatch(body({ format: 'nft' }, v4only), /set sluice_v6 \{\n/, 'an empty set has no elements block');
});

t.test('rpz: SOA and NS, name and *.name, exact-only names alone, passthru for allowed names, rpz-ip triggers', async (t) => {
  t.equal(
    body({ format: 'rpz', types: ['ip', 'domain', 'url'], zone: 'rpz.sluice.example' }),
    [
      '; sluice list l, set version 1, 9 records',
      '$ORIGIN rpz.sluice.example.',
      '$TTL 300',
      '@ SOA localhost. hostmaster.localhost. 1 3600 600 86400 300',
      '@ NS localhost.',
      'good.bad.example.com CNAME rpz-passthru.',
      '*.good.bad.example.com CNAME rpz-passthru.',
      '24.0.2.0.192.rpz-ip CNAME .',
      '24.0.100.51.198.rpz-ip CNAME .',
      '32.9.113.0.203.rpz-ip CNAME .',
      '32.zz.db8.2001.rpz-ip CNAME .',
      'bad.example.com CNAME .',
      '*.bad.example.com CNAME .',
      'evil.example.net CNAME .',
      '*.evil.example.net CNAME .',
      'exact.example.org CNAME .',
      '',
    ].join('\n'),
  );
});

t.test('rpz-ip owners: reversed octets, and IPv6 groups reversed with zz for the longest zero run', async (t) => {
  t.equal(rpzIpOwner('192.0.2.1'), '32.1.2.0.192.rpz-ip');
  t.equal(rpzIpOwner('10.0.0.0/8'), '8.0.0.0.10.rpz-ip');
  t.equal(rpzIpOwner('2001:db8::1'), '128.1.zz.db8.2001.rpz-ip');
  t.equal(rpzIpOwner('2001:db8:0:1::/64'), '64.zz.1.0.db8.2001.rpz-ip');
  t.equal(rpzIpOwner('2001:db8:1:2:3:4:5:6'), '128.6.5.4.3.2.1.db8.2001.rpz-ip', 'no zero run, no zz');
  t.equal(rpzIpOwner('2001:0:0:1::1'), '128.1.zz.1.0.0.2001.rpz-ip', 'the longer run is zz');
});

t.test('hosts: 0.0.0.0 and the name, domains only', async (t) => {
  t.equal(body({ format: 'hosts', types: ['domain', 'ip'] }), '0.0.0.0 bad.example.com\n0.0.0.0 evil.example.net\n0.0.0.0 exact.example.org\n');
});

t.test('csv: a row per entry with score, feeds and tags, quoted where needed', async (t) => {
  t.equal(
    body({ format: 'csv', types: ALL_TYPES }),
    [
      'value,type,score,feeds,tags',
      '198.51.100.7,ipv4,90,nets,',
      '203.0.113.9,ipv4,90,nets,',
      '2001:db8:ffff::1,ipv6,90,nets,',
      '192.0.2.0/25,cidr,90,nets,',
      '192.0.2.128/25,cidr,90,nets,',
      '198.51.100.0/24,cidr,90,nets,',
      '2001:db8:8000::/33,cidr,90,nets,',
      '2001:db8::/33,cidr,90,nets,',
      'bad.example.com,domain,80,doms,phishing',
      'evil.example.net,domain,80,doms,Malware',
      'exact.example.org,domain,85,zone,',
      'http://files.example.org/a.exe,url,75,urls,',
      `${HASH},sha256,95,hashes,`,
      '',
    ].join('\n'),
  );
  t.equal(csvField('a,b'), '"a,b"');
  t.equal(csvField('say "hi"'), '"say ""hi"""');
  t.equal(csvField('two\nlines'), '"two\nlines"');
  t.equal(csvField('plain'), 'plain');
});

t.test('stix renders the entries as a STIX 2.1 bundle', async (t) => {
  const text = body({ format: 'stix', types: ['ip', 'domain', 'url', 'hash'] });
  const bundle = JSON.parse(text) as { type: string; objects: Array<{ type: string; pattern?: string }> };
  t.equal(bundle.type, 'bundle');
  t.ok(bundle.objects.filter((o) => o.type === 'indicator').length > 0);
});

t.test('selection: types, min_score, feeds and tags', async (t) => {
  const values = (list: Record<string, unknown>) => selectListEntries(sample(), listConfig(list)).map((e) => e.value);
  t.same(values({ types: ['domain'], feeds: ['zone', 'nosuch'] }), ['exact.example.org']);
  t.same(values({ types: ['domain'], tags: ['malware'] }), ['evil.example.net'], 'tags match whatever their case');
  t.same(values({ types: ['domain'], tags: ['phishing'], feeds: ['zone'] }), [], "tags count only from the list's feeds");
  t.same(values({ types: ['domain'], min_score: 85 }), ['exact.example.org']);
  t.same(values({ types: ['hash', 'url'] }), ['http://files.example.org/a.exe', HASH], 'kinds in a fixed order');
});

t.test('an entry cap keeps the highest scores, in list order, and says how many were cut', async (t) => {
  const m = matcherFor([
    { name: 'a', format: 'text', type: 'domain', confidence: 95, body: 'z-top.example.com\n' },
    { name: 'b', format: 'text', type: 'domain', confidence: 90, body: 'a-second.example.com\nb-second.example.com\n' },
    { name: 'c', format: 'text', type: 'domain', confidence: 75, body: 'c-low.example.com\n' },
  ]);
  const g = generateList(m, listConfig({ types: ['domain'], max_entries: 5 }));
  t.equal(g.cut, 2, 'each name is two lines here, so two names fit in five');
  t.equal(g.page(1), '# 2 entries with the lowest scores cut to fit max_entries 5\na-second.example.com\n*.a-second.example.com\nz-top.example.com\n*.z-top.example.com\n');
  t.equal(
    generateList(m, listConfig({ types: ['domain'], max_entries: 3, format: 'hosts' })).page(1),
    '# 1 entries with the lowest scores cut to fit max_entries 3\n0.0.0.0 a-second.example.com\n0.0.0.0 b-second.example.com\n0.0.0.0 z-top.example.com\n',
    'a hosts line per name',
  );

  const entries: ListEntry[] = [5, 9, 7, 9].map((score, i) => ({ entry: i, kind: 'domain', value: `n${i}`, score, exactOnly: false }));
  t.same(capEntries(entries, 2, () => 1).kept.map((e) => e.value), ['n1', 'n3'], 'equal scores keep list order');
  t.same(capEntries(entries, 0, () => 1).cut, 0, 'max_entries 0 is no cap');
  t.same(capEntries(entries, 3, (e) => (e.value === 'n3' ? 5 : 1)).kept.map((e) => e.value), ['n1'], 'the cut stops at the first entry that does not fit');
});

t.test('an IP cap counts networks before aggregation, so the list never exceeds it', async (t) => {
  const m = matcherFor([
    { name: 'hi', format: 'text', type: 'ip', confidence: 95, body: '192.0.2.0/25\n192.0.2.128/25\n' },
    { name: 'lo', format: 'text', type: 'ip', confidence: 80, body: '198.51.100.1\n' },
  ]);
  const g = generateList(m, listConfig({ max_entries: 2 }));
  t.equal(g.page(1), '# 1 entries with the lowest scores cut to fit max_entries 2\n192.0.2.0/24\n');
});

t.test('paging: page_size units a page, every page whole, a page past the last is empty', async (t) => {
  const list = listConfig({ types: ['ip'], page_size: 3 });
  const g = generateList(sample(), list);
  t.equal(g.pages.length, 2);
  t.equal(g.page(1), '192.0.2.0/24\n198.51.100.0/24\n203.0.113.9\n');
  t.equal(g.page(2), '2001:db8::/32\n');
  t.equal(g.page(3), '# sluice list l, set version 1, page 3 of 2: no entries\n');
  const csv = generateList(sample(), listConfig({ types: ['domain'], page_size: 2, format: 'csv' }));
  t.equal(csv.page(2), 'value,type,score,feeds,tags\nexact.example.org,domain,85,zone,\n', 'every CSV page has the header');
  t.equal(csv.page(9), 'value,type,score,feeds,tags\n');
  const nft = generateList(sample(), listConfig({ types: ['ip'], page_size: 1, format: 'nft' }));
  t.equal(nft.pages.length, 1, 'nft ignores page_size: a load replaces the whole set');
});

t.test('never an empty body', async (t) => {
  const m = matcherFor([{ name: 'x', format: 'text', type: 'domain', confidence: 10, body: 'low.example.com\n' }]);
  const empty = (format: string) => generateList(m, listConfig({ name: 'fw', format, types: ['ip', 'domain'] })).page(1);
  t.equal(empty('plain'), '# sluice list fw, set version 1: no entries\n');
  t.equal(empty('fortigate'), '# sluice list fw, set version 1: no entries\n');
  t.equal(empty('hosts'), '# sluice list fw, set version 1: no entries\n');
  t.equal(empty('csv'), 'value,type,score,feeds,tags\n');
  t.equal(
    empty('nft'),
    '# sluice list fw, set version 1: no entries\ntable inet sluice {\n\tset sluice_v4 { type ipv4_addr; flags interval; }\n\tset sluice_v6 { type ipv6_addr; flags interval; }\n}\nflush set inet sluice sluice_v4\nflush set inet sluice sluice_v6\n',
  );
  t.match(empty('ipset'), /^# sluice list fw, set version 1: no entries\ncreate sluice-v4 .*\n(.*\n)*swap sluice-v6-tmp sluice-v6\ndestroy sluice-v6-tmp\n$/);
  t.notMatch(empty('ipset'), /^add /m);
  t.equal(
    empty('rpz'),
    '; sluice list fw, set version 1: no entries\n$ORIGIN rpz.sluice.\n$TTL 300\n@ SOA localhost. hostmaster.localhost. 1 3600 600 86400 300\n@ NS localhost.\n',
  );
});

t.test('list checks: problems that stop a list, warnings that do not', async (t) => {
  t.throws(() => listConfig({ format: 'ipset', set_name: 'a'.repeat(25) }), /1-24 letters/, 'the config refuses a name ipset cannot swap');
  t.same(listProblems(listConfig({ format: 'ipset', set_name: 'a'.repeat(24) })), []);
  t.match(listProblems(listConfig({ format: 'rpz', zone: 'bad zone.' })), [/not a usable zone name/]);
  t.same(listProblems(listConfig({ format: 'rpz', zone: 'rpz.example' })), []);
  t.match(
    listWarnings([listConfig({ format: 'nft', types: ['ip', 'url'], page_size: 10 }), listConfig({}), listConfig({ name: 'ip.txt' })], ['ip.txt']),
    [/format nft carries ip only; its url entries are left out/, /page_size is ignored for format nft/, /named twice/, /taken by the built-in \/edl\/ip.txt/],
  );
});
