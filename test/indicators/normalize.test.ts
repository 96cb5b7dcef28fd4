// normalizeValue, table-driven: every indicator type under every type hint, with the canonical
// value, the tags and the notes it must produce, and the reason it must give for refusing a value.
// Expected values come from the RFCs (5952 for IPv6 text, 4632 for CIDR, 3986 and WHATWG for
// URLs, UTS-46 for names) and the public suffix list, not from running the code.
import t, { type Test } from 'tap';
import '../helpers/quiet.js';
import { normalizeValue } from '../../src/indicators/normalize/index.js';
import type { TypeHint } from '../../src/indicators/types.js';

type Good = [
  hint: TypeHint,
  input: string,
  values: string[],
  extra?: { tags?: string[]; notes?: string[] },
];
type Bad = [hint: TypeHint, input: string, reason: RegExp];

function checkGood(tt: Test, [hint, input, values, extra]: Good): void {
  let out;
  try {
    out = normalizeValue(input, hint);
  } catch (err) {
    tt.fail(`${hint} ${JSON.stringify(input)} is accepted`, { error: err });
    return;
  }
  tt.same(out.values.map((v) => `${v.type}:${v.value}`), values, `${hint} ${JSON.stringify(input)}`);
  tt.same(out.tags ?? [], extra?.tags ?? [], `${hint} ${JSON.stringify(input)}: tags`);
  tt.same(out.notes ?? [], extra?.notes ?? [], `${hint} ${JSON.stringify(input)}: notes`);
}

function checkBad(tt: Test, [hint, input, reason]: Bad): void {
  tt.throws(
    () => normalizeValue(input, hint),
    { name: 'BadValueError', code: 'SLUICE_ERR_BAD_VALUE', reason },
    `${hint} ${JSON.stringify(input)} is refused: ${reason}`,
  );
}

const HOST_BITS = { notes: ['host bits cleared'] };
const RETYPED = { notes: ['address in a domain feed, kept as an address'] };
const REFANGED = { notes: ['refanged'] };
const WILDCARD = { notes: ['wildcard prefix read as the domain and its subtree'] };
const RANGE = { notes: ['address range written as networks'] };

t.test('IPv4 addresses: strict dotted quads only, ports become tags', async (t) => {
  const good: Good[] = [
    ['auto', '192.0.2.1', ['ipv4:192.0.2.1']],
    ['auto', '  198.51.100.7\t', ['ipv4:198.51.100.7']],
    ['ip', '0.0.0.0', ['ipv4:0.0.0.0']],
    ['ipv4', '255.255.255.255', ['ipv4:255.255.255.255']],
    ['auto', '192.0.2.1:8080', ['ipv4:192.0.2.1'], { tags: ['port:8080'] }],
    ['ip', '192.0.2.1:65535', ['ipv4:192.0.2.1'], { tags: ['port:65535'] }],
    ['ip', '192.0.2.1:00443', ['ipv4:192.0.2.1'], { tags: ['port:443'] }],
    // ThreatFox writes port 0 when it does not know the port: the address alone is listed.
    ['ip', '192.0.2.1:0', ['ipv4:192.0.2.1']],
    ['cidr', '192.0.2.9', ['ipv4:192.0.2.9']],
    ['url', '192.0.2.1', ['ipv4:192.0.2.1']],
    ['url', '192.0.2.1:8443', ['ipv4:192.0.2.1'], { tags: ['port:8443'] }],
    ['domain', '192.0.2.1', ['ipv4:192.0.2.1'], RETYPED],
  ];
  const bad: Bad[] = [
    ['auto', '192.0.2.01', /ambiguous IPv4 text/],
    ['ip', '010.1.1.1', /ambiguous IPv4 text/],
    ['ip', '256.1.1.1', /ambiguous IPv4 text/],
    ['ip', '192.0.2.1:65536', /port over 65535/],
    ['auto', '192.0.2.1:99999', /port over 65535/],
    ['ip', '192.0.2', /not an IP address/],
    ['auto', '192.0.2', /top-level label is all digits/],
    ['ip', 'example.com', /not an IP address/],
    ['ipv6', '192.0.2.1', /not an ipv6 address/],
    ['auto', '', /empty value/],
    ['ip', '   ', /empty value/],
  ];
  for (const c of good) checkGood(t, c);
  for (const c of bad) checkBad(t, c);
});

t.test('IPv6 addresses: RFC 5952 text, IPv4-mapped addresses become IPv4', async (t) => {
  const good: Good[] = [
    ['auto', '2001:DB8:0:0:0:0:0:1', ['ipv6:2001:db8::1']],
    ['ipv6', '2001:0db8:0000:0000:0000:ff00:0042:8329', ['ipv6:2001:db8::ff00:42:8329']],
    // The longest run of zero groups is compressed; of two equal runs, the first.
    ['ip', '2001:db8:0:0:1:0:0:1', ['ipv6:2001:db8::1:0:0:1']],
    ['ip', '2001:db8:0:0:0:1:0:0', ['ipv6:2001:db8::1:0:0']],
    // A single zero group is not compressed.
    ['ip', '2001:db8:0:1:1:1:1:1', ['ipv6:2001:db8:0:1:1:1:1:1']],
    ['ip', '::1', ['ipv6:::1']],
    ['ip', '0:0:0:0:0:0:0:0', ['ipv6:::']],
    ['auto', '::ffff:192.0.2.1', ['ipv4:192.0.2.1']],
    ['ipv4', '::FFFF:c000:0201', ['ipv4:192.0.2.1']],
    ['auto', '[2001:db8::1]:443', ['ipv6:2001:db8::1'], { tags: ['port:443'] }],
    ['auto', '[2001:db8::1]', ['ipv6:2001:db8::1']],
    ['domain', '2001:db8::5', ['ipv6:2001:db8::5'], RETYPED],
  ];
  const bad: Bad[] = [
    ['ip', '2001:db8::1::2', /not an IP address/],
    ['ip', '2001:db8:0:0:0:0:0:0:1', /not an IP address/],
    ['ip', '2001:db8::g1', /not an IP address/],
    ['ipv4', '2001:db8::1', /not an ipv4 address/],
    ['ipv6', '::ffff:192.0.2.1', /not an ipv6 address/],
    ['auto', '[2001:db8::1]:70000', /port over 65535/],
  ];
  for (const c of good) checkGood(t, c);
  for (const c of bad) checkBad(t, c);
});

t.test('CIDRs: host bits cleared and noted, /32 and /128 are addresses, /0 refused', async (t) => {
  const good: Good[] = [
    ['auto', '192.0.2.0/24', ['cidr:192.0.2.0/24']],
    ['cidr', '192.0.2.77/24', ['cidr:192.0.2.0/24'], HOST_BITS],
    ['ip', '10.200.3.4/8', ['cidr:10.0.0.0/8'], HOST_BITS],
    ['cidr', '203.0.113.130/25', ['cidr:203.0.113.128/25'], HOST_BITS],
    ['cidr', '198.51.100.255/31', ['cidr:198.51.100.254/31'], HOST_BITS],
    ['cidr', '128.0.0.0/1', ['cidr:128.0.0.0/1']],
    ['cidr', '192.0.2.7/32', ['ipv4:192.0.2.7']],
    ['auto', '2001:db8::/32', ['cidr:2001:db8::/32']],
    ['cidr', '2001:DB8:1:2::1/32', ['cidr:2001:db8::/32'], HOST_BITS],
    ['cidr', '2001:db8::1/64', ['cidr:2001:db8::/64'], HOST_BITS],
    ['cidr', '2001:db8::1/128', ['ipv6:2001:db8::1']],
    ['ipv4', '192.0.2.0/24', ['cidr:192.0.2.0/24']],
    ['ipv6', '2001:db8::/48', ['cidr:2001:db8::/48']],
    // A slash followed by a path is a URL-ish trail, not a prefix: only the address is kept.
    ['ip', '198.51.100.23/1/panel/login.php', ['ipv4:198.51.100.23'], { notes: ['path after the address dropped'] }],
    // An empty prefix is not a network: the address alone, never more than was written.
    ['cidr', '192.0.2.0/', ['ipv4:192.0.2.0'], { notes: ['path after the address dropped'] }],
  ];
  const bad: Bad[] = [
    ['cidr', '192.0.2.0/33', /prefix length must be 0 to 32/],
    ['cidr', '2001:db8::/129', /prefix length must be 0 to 128/],
    ['cidr', '0.0.0.0/0', /prefix \/0 covers every address/],
    ['auto', '::/0', /prefix \/0 covers every address/],
    ['cidr', '192.0.02.0/24', /ambiguous IPv4 text/],
    ['ipv6', '192.0.2.0/24', /not an ipv6 address/],
    ['ipv4', '2001:db8::/32', /not an ipv4 address/],
  ];
  for (const c of good) checkGood(t, c);
  for (const c of bad) checkBad(t, c);
});

t.test('ranges become the fewest covering CIDRs', async (t) => {
  const good: Good[] = [
    ['auto', '192.0.2.0-192.0.2.255', ['cidr:192.0.2.0/24'], RANGE],
    ['ip', '192.0.2.5-192.0.2.5', ['ipv4:192.0.2.5']],
    ['ip', '192.0.2.1-192.0.2.6', ['ipv4:192.0.2.1', 'cidr:192.0.2.2/31', 'cidr:192.0.2.4/31', 'ipv4:192.0.2.6'], RANGE],
    ['cidr', '10.0.0.0-10.255.255.255', ['cidr:10.0.0.0/8'], RANGE],
    ['ip', '1.1.3.10-1.1.3.44', [
      'cidr:1.1.3.10/31', 'cidr:1.1.3.12/30', 'cidr:1.1.3.16/28', 'cidr:1.1.3.32/29', 'cidr:1.1.3.40/30', 'ipv4:1.1.3.44',
    ], RANGE],
    ['auto', '2001:db8::-2001:db8::ffff', ['cidr:2001:db8::/112'], RANGE],
    ['ip', '2001:db8::1-2001:db8::2', ['ipv6:2001:db8::1', 'ipv6:2001:db8::2'], RANGE],
  ];
  const bad: Bad[] = [
    ['ip', '10.0.0.10-10.0.0.1', /range ends before it starts/],
    ['ip', '192.0.2.1-2001:db8::1', /range mixes IPv4 and IPv6/],
    ['ip', '0.0.0.0-255.255.255.255', /range covers every address/],
    ['ip', '::1-ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe', /range needs more than 64 CIDRs/],
    ['ip', '192.0.2.1-192.0.2.300', /ambiguous IPv4 text/],
    ['ipv6', '192.0.2.0-192.0.2.255', /not an ipv6 address/],
  ];
  for (const c of good) checkGood(t, c);
  for (const c of bad) checkBad(t, c);
});

const label63 = 'a'.repeat(63);
const label64 = 'a'.repeat(64);
// Four 63-character labels and dots: 4 * 63 + 3 = 255; trimmed to exactly 253 and 254.
const name253 = `${'b'.repeat(61)}.${label63}.${label63}.${label63}`.slice(0, 249) + '.com';
const name254 = `c${name253}`;

t.test('domain names: IDNA to punycode, length limits, public suffixes refused', async (t) => {
  t.equal(name253.length, 253, 'the long-name fixture is 253 characters');
  t.equal(name254.length, 254);
  const good: Good[] = [
    ['auto', 'Example.COM.', ['domain:example.com']],
    ['domain', 'malware.example.net', ['domain:malware.example.net']],
    ['domain', '*.example.org', ['domain:example.org'], WILDCARD],
    ['auto', '.example.org', ['domain:example.org'], WILDCARD],
    ['domain', 'bücher.example', ['domain:xn--bcher-kva.example']],
    ['auto', 'BÜCHER.example.com', ['domain:xn--bcher-kva.example.com']],
    ['domain', 'xn--bcher-kva.example.com', ['domain:xn--bcher-kva.example.com']],
    ['domain', 'пример.рф', ['domain:xn--e1afmkfd.xn--p1ai']],
    ['domain', `${label63}.example.com`, [`domain:${label63}.example.com`]],
    ['domain', name253, [`domain:${name253}`]],
    ['domain', '_dmarc.example.com', ['domain:_dmarc.example.com']],
    ['domain', '0-day.example.com', ['domain:0-day.example.com']],
    // Names that look like addresses at the front are names (FadeMind's 2o7.net list).
    ['auto', '102.112.2o7.net', ['domain:102.112.2o7.net']],
    ['domain', 'user.github.io', ['domain:user.github.io']],
    ['domain', 'example.co.uk', ['domain:example.co.uk']],
    ['domain', 'foo.workers.dev', ['domain:foo.workers.dev']],
  ];
  const bad: Bad[] = [
    ['domain', `${label64}.example.com`, /label longer than 63 characters/],
    ['domain', name254, /name longer than 253 characters/],
    ['domain', 'com', /public suffix alone/],
    ['domain', 'co.uk', /public suffix alone/],
    ['auto', 'CO.UK.', /public suffix alone/],
    // Private-section suffixes are refused too: blocking github.io blocks every Pages site.
    ['domain', 'github.io', /public suffix alone/],
    ['auto', 'workers.dev', /public suffix alone/],
    ['domain', 's3.amazonaws.com', /public suffix alone/],
    ['domain', 'localhost', /public suffix alone/],
    ['domain', 'a..example.com', /empty label/],
    ['domain', '.', /empty name/],
    ['domain', 'ex!ample.com', /invalid character in label "ex!ample"/],
    ['domain', 'bad{.}example.com', /invalid character/],
    ['domain', 'example.123', /top-level label is all digits/],
    ['domain', 'xn--.example.com', /not a valid internationalised name/],
    ['domain', 'http://example.com/a', /URL or path in a domain feed/],
    ['domain', 'example.com/a', /URL or path in a domain feed/],
  ];
  for (const c of good) checkGood(t, c);
  for (const c of bad) checkBad(t, c);
});

t.test('wildcard entries on addresses keep the address, as the domain hint already did', async (t) => {
  // urlhaus-filter's wildcard list prefixes every entry, addresses included (*.1.1.109.99).
  checkGood(t, ['auto', '*.1.1.109.99', ['ipv4:1.1.109.99'], { notes: ['wildcard on an address dropped'] }]);
  checkGood(t, ['domain', '*.1.1.109.99', ['ipv4:1.1.109.99'], RETYPED]);
  checkGood(t, ['auto', '*.0022a601.pphost.net', ['domain:0022a601.pphost.net'], WILDCARD]);
  checkBad(t, ['auto', '*.010.1.1.1', /ambiguous IPv4 text/]);
});

t.test('URLs: default port, fragment, dot segments and credentials dropped', async (t) => {
  const good: Good[] = [
    ['auto', 'HTTP://Example.COM:80/a/./b/../c?x=1#frag', ['url:http://example.com/a/c?x=1']],
    ['url', 'https://example.com:443/', ['url:https://example.com/']],
    ['url', 'https://example.com:8443/x', ['url:https://example.com:8443/x']],
    ['url', 'http://user:secret@example.com/p', ['url:http://example.com/p']],
    ['url', 'http://example.com', ['url:http://example.com/']],
    ['url', 'http://example.com./x', ['url:http://example.com/x']],
    ['auto', 'example.com/path/file.exe', ['url:http://example.com/path/file.exe']],
    ['url', 'example.com:8080/gate.php', ['url:http://example.com:8080/gate.php']],
    ['url', 'http://bücher.example/x', ['url:http://xn--bcher-kva.example/x']],
    ['url', 'http://[2001:DB8::1]:8080/x', ['url:http://[2001:db8::1]:8080/x']],
    ['url', 'http://192.0.2.1:80/x', ['url:http://192.0.2.1/x']],
    ['url', 'ftp://files.example.com:21/a.bin', ['url:ftp://files.example.com/a.bin']],
    ['url', 'http://example.com/a%2Fb/%41', ['url:http://example.com/a%2Fb/%41']],
    ['url', 'http://example.com/p?', ['url:http://example.com/p']],
  ];
  const bad: Bad[] = [
    ['url', 'mailto:abuse@example.com', /unsupported URL scheme mailto:/],
    ['auto', 'file:///etc/passwd', /URL has no host|unsupported URL scheme/],
    ['url', 'javascript://example.com/%0aalert(1)', /unsupported URL scheme javascript:/],
    ['url', 'http://010.1.1.1/x', /ambiguous IPv4 host/],
    ['url', 'http://3221225985/x', /IPv4 host in a non-dotted-quad form/],
    ['url', 'http://0xc0.0.2.1/x', /IPv4 host in a non-dotted-quad form/],
    ['url', 'http://exa mple.com/', /not a valid URL|invalid character/],
    ['url', 'http://a..example.com/', /empty label/],
    // A maltrail path trail names no host: WHATWG would read "ligolo-ng.yaml" as one.
    ['auto', '/ligolo-ng.yaml', /URL has no host/],
    ['url', 'http:///evil.example.com/x', /URL has no host/],
  ];
  for (const c of good) checkGood(t, c);
  for (const c of bad) checkBad(t, c);
});

const MD5 = 'D41D8CD98F00B204E9800998ECF8427E';
const SHA1 = 'da39a3ee5e6b4b0d3255bfef95601890afd80709';
const SHA256 = 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855';

t.test('hashes: the type follows from the length, and must agree with a specific hint', async (t) => {
  const good: Good[] = [
    ['auto', MD5, [`md5:${MD5.toLowerCase()}`]],
    ['hash', SHA1, [`sha1:${SHA1}`]],
    ['auto', SHA256, [`sha256:${SHA256.toLowerCase()}`]],
    ['md5', MD5, [`md5:${MD5.toLowerCase()}`]],
    ['sha1', SHA1.toUpperCase(), [`sha1:${SHA1}`]],
    ['sha256', SHA256, [`sha256:${SHA256.toLowerCase()}`]],
  ];
  const bad: Bad[] = [
    ['hash', MD5.slice(1), /no hash type is 31 hex digits long/],
    ['hash', `${SHA1}0`, /no hash type is 41 hex digits long/],
    ['sha256', SHA256.slice(0, 63), /no hash type is 63 hex digits long/],
    ['hash', `${SHA256}00`, /no hash type is 66 hex digits long/],
    ['md5', SHA1, /not a md5 hash/],
    ['sha1', SHA256, /not a sha1 hash/],
    ['sha256', MD5, /not a sha256 hash/],
    ['sha256', `${SHA256.slice(0, 63)}g`, /hash is not hexadecimal/],
    // ThreatFox's web listing truncates hashes for display: they are not hashes.
    ['sha256', '32f85cbf0fcd...d4c2', /hash is not hexadecimal/],
    // With no hint a 31-digit string is a single label, which the suffix rules refuse.
    ['auto', MD5.slice(1), /public suffix alone/],
  ];
  for (const c of good) checkGood(t, c);
  for (const c of bad) checkBad(t, c);
});

t.test('defanged values are refanged and say so; unknown markers are refused', async (t) => {
  const good: Good[] = [
    ['auto', 'hxxps://evil[.]example[.]com/a', ['url:https://evil.example.com/a'], REFANGED],
    ['auto', 'hXXp://198.51.100[.]14/a', ['url:http://198.51.100.14/a'], REFANGED],
    ['url', 'http[:]//track.example.com[/]p', ['url:http://track.example.com/p'], REFANGED],
    // ftp is defanged as fxp (one t, one x) by the common tools, and sometimes as fxxp.
    ['auto', 'fxp://files[.]example[.]com/x', ['url:ftp://files.example.com/x'], REFANGED],
    ['auto', 'fXXp[:]//files.example.com/x', ['url:ftp://files.example.com/x'], REFANGED],
    ['auto', 'hxxp[://]a.example.com/x', ['url:http://a.example.com/x'], REFANGED],
    ['auto', 'hXXps[:]//a.example.com/x', ['url:https://a.example.com/x'], REFANGED],
    // A listed name that merely starts like a defanged scheme is that name, not another one.
    ['auto', 'hxxpool.example.com', ['domain:hxxpool.example.com']],
    ['domain', 'hxxps-login.example.net', ['domain:hxxps-login.example.net']],
    ['auto', 'fxpro.example.com', ['domain:fxpro.example.com']],
    ['auto', 'evil(dot)example(dot)net', ['domain:evil.example.net'], REFANGED],
    ['domain', 'login[.]example[.]org', ['domain:login.example.org'], REFANGED],
    ['auto', '192.0.2[.]1', ['ipv4:192.0.2.1'], REFANGED],
    ['ip', '41.234.45[.]136:8808', ['ipv4:41.234.45.136'], { tags: ['port:8808'], notes: ['refanged'] }],
    ['auto', 'hxxps://45[.]91[.]168[.]240', ['url:https://45.91.168.240/'], REFANGED],
  ];
  const bad: Bad[] = [
    ['auto', 'bad{.}example{.}com', /invalid character/],
    ['domain', 'co[.]uk', /public suffix alone/],
  ];
  for (const c of good) checkGood(t, c);
  for (const c of bad) checkBad(t, c);
});
