// STIX 2.x bundles: the real example files in test/fixtures/stix, the pattern grammar, and
// bodies that are not bundles. Expected counts were worked out by reading each file's
// patterns (a separate Python reading counted the poisonivy values), not from this parser.
import t from 'tap';
import '../helpers/quiet.js';
import { feedConfig, fixture, keys, matcherFor, parseBody } from '../helpers/feeds.js';
import { FeedParseError } from '../../src/errors.js';
import { ParseReport } from '../../src/feeds/parsers/index.js';
import { parseStix } from '../../src/feeds/parsers/stix/index.js';
import { indexBundle, tlpOf, type StixObject } from '../../src/feeds/parsers/stix/context.js';
import { extractValues } from '../../src/feeds/parsers/stix/observables.js';
import { parsePattern, PatternSyntaxError } from '../../src/feeds/parsers/stix/pattern.js';
import { parserOptions } from '../../src/feeds/update.js';
import { parseQuery } from '../../src/match/query.js';
import { decide, describe } from '../../src/match/verdict.js';

const NOW = Date.parse('2026-06-01T00:00:00Z') / 1000;

/** parseStix alone, at a fixed time, without the error budget: to look at what it reported. */
function parseAt(body: unknown, now = NOW, partial: Record<string, unknown> = {}): ParseReport {
  const report = new ParseReport();
  const text = typeof body === 'string' ? body : Buffer.isBuffer(body) ? body.toString('utf8') : JSON.stringify(body);
  parseStix(text, parserOptions(feedConfig({ format: 'stix', ...partial }), now), report);
  return report;
}

let serial = 0;

/** An indicator object with the fields every test needs; `extra` overrides them. */
function indicator(pattern: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  serial++;
  return {
    type: 'indicator',
    spec_version: '2.1',
    id: `indicator--00000000-0000-4000-8000-${String(serial).padStart(12, '0')}`,
    created: '2024-05-01T00:00:00.000Z',
    modified: '2024-05-01T00:00:00.000Z',
    valid_from: '2024-05-01T00:00:00Z',
    pattern_type: 'stix',
    pattern,
    ...extra,
  };
}

function bundle(...objects: unknown[]): string {
  return JSON.stringify({ type: 'bundle', id: 'bundle--00000000-0000-4000-8000-0000000000aa', objects });
}

/** What one pattern yields: its keys, and the skip and invalid reasons. */
function onePattern(pattern: string, extra: Record<string, unknown> = {}) {
  const report = parseAt(bundle(indicator(pattern, extra)));
  return { keys: keys(report), skipped: report.skipped.reasons, invalid: report.invalid.reasons, report };
}

interface FileExpectation {
  file: string;
  /** Observations in order, or the error a whole-feed parse throws. */
  keys?: string[];
  count?: number;
  throws?: RegExp;
  skipped: Record<string, number>;
  invalid?: Record<string, number>;
}

const FILES: FileExpectation[] = [
  {
    // #8 domain-name alone; #14 AND with resolves_to_refs; #19 file:name.
    file: 'misp-stix-test_events_collection_stix21.json',
    keys: ['domain:circl.lu'],
    skipped: { 'AND of comparisons not supported': 1, 'object path file:name not supported': 1 },
  },
  {
    // #5 an e-mail sender; #9 the file's three hashes AND its name; #15 domain AND resolves_to_refs.
    file: 'misp-stix-test_objects_collection_stix21.json',
    throws: /no entries/,
    keys: [],
    skipped: { 'object path email-message:from_ref.value not supported': 1, 'AND of comparisons not supported': 2 },
  },
  {
    // Four /15 networks, three FQDNs, three md5 (lower-case key); two x509 issuer AND serial.
    file: 'oasis-apt1.json',
    keys: [
      'cidr:223.166.0.0/15',
      'cidr:58.246.0.0/15',
      'cidr:112.64.0.0/15',
      'cidr:139.226.0.0/15',
      'domain:hugesoft.org',
      'domain:arrowservice.net',
      'domain:msnhome.org',
      'md5:001dd76872d80801692ff942308c64e6',
      'md5:002325a0a67fded0381b5648d7fe9b8e',
      'md5:00dbb9e1c09dbdafb360f3163ba5a3de',
    ],
    skipped: { 'AND of comparisons not supported': 2 },
  },
  { file: 'oasis-doc-identifying-a-threat-actor-profile.json', throws: /no entries/, keys: [], skipped: {} },
  { file: 'oasis-doc-indicator-for-malicious-url.json', keys: ['url:http://x4z9arb.cn/4712/'], skipped: {} },
  {
    file: 'oasis-doc-malware-indicator-for-file-hash.json',
    keys: ['sha256:ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c'],
    skipped: {},
  },
  { file: 'oasis-doc-sighting-of-an-indicator.json', keys: ['url:http://paypa1.banking.com/'], skipped: {} },
  // Observed data and a sighting, no indicator: nothing to enforce.
  { file: 'oasis-doc-sighting-of-observed-data.json', throws: /no entries/, keys: [], skipped: {} },
  {
    file: 'oasis-doc-using-granular-markings.json',
    throws: /no entries/,
    keys: [],
    skipped: { 'object path email-message:from_ref.value not supported': 1 },
  },
  { file: 'oasis-doc-using-marking-definitions.json', keys: ['ipv4:10.0.0.0'], skipped: {} },
  { file: 'oasis-indicator-for-c2-ip-address.json', keys: ['ipv4:10.0.0.0'], skipped: {} },
  // '[ ipv4-addr:value = ... ]': spaces inside the brackets.
  { file: 'oasis-indicator-to-campaign-relationship.json', keys: ['ipv4:10.0.0.0'], skipped: {} },
  {
    file: 'oasis-indicators-for-C2-with-COA.json',
    keys: ['ipv4:10.0.0.0', 'sha256:ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c'],
    skipped: {},
  },
  // ipv4-addr and domain-name objects, but as infrastructure, not indicators.
  { file: 'oasis-infrastructure.json', throws: /no entries/, keys: [], skipped: {} },
  {
    file: 'oasis-malicious-email-indicator-with-attachment.json',
    throws: /no entries/,
    keys: [],
    skipped: {
      'object path email-message:subject not supported': 1,
      'object path email-message:body_multipart[*].body_raw_ref.name not supported': 1,
    },
  },
  {
    // 25 indicators: 23 with 65 domain/IP comparisons (19 of them ORs), two file:name. One
    // domain is 'domain autuo.xicp.net' (a space): invalid, while its OR partner IP is kept.
    file: 'oasis-poisonivy.json',
    count: 64,
    skipped: { 'object path file:name not supported': 2 },
    invalid: { 'not a valid internationalised name': 1 },
  },
];

t.test('every real STIX file yields the values its patterns allow, and says why not the rest', async (t) => {
  for (const e of FILES) {
    t.test(e.file, async (t) => {
      const body = fixture(`stix/${e.file}`);
      if (e.throws) {
        t.throws(() => parseBody(body, { format: 'stix' }), { name: 'FeedParseError', message: e.throws });
      } else {
        t.ok(parseBody(body, { format: 'stix' }).list.size > 0, 'the whole pipeline accepts it');
      }
      const report = parseAt(body);
      if (e.keys) t.same(keys(report), e.keys, 'values');
      if (e.count !== undefined) t.equal(report.list.size, e.count, 'value count');
      t.same(report.skipped.reasons, e.skipped, 'skipped patterns and why');
      t.same(report.invalid.reasons, e.invalid ?? {}, 'invalid values');
    });
  }
});

t.test('poisonivy: distinct values, the OR branches, the bad domain named with its indicator', async (t) => {
  const report = parseAt(fixture('stix/oasis-poisonivy.json'));
  const distinct = (type: string) => new Set(report.observations.filter((o) => o.type === type).map((o) => o.value)).size;
  t.equal(distinct('domain'), 24);
  t.equal(distinct('ipv4'), 18);
  t.ok(keys(report).includes('ipv4:60.10.1.115'), 'the IP beside the bad domain is kept');
  t.match(report.invalid.examples[0], { line: 43, value: 'domain autuo.xicp.net' });
  t.match(report.skipped.examples[0], { line: 44, value: /^indicator--137acf67-cedc-4a07-8719-72759174de3a: \[file:name/ });
});

t.test('a bare campaign object is refused as a whole, naming what it is', async (t) => {
  t.throws(() => parseBody(fixture('stix/oasis-interop-objectmarking-test.json'), { format: 'stix' }), {
    name: 'FeedParseError',
    code: 'SLUICE_ERR_FEED_PARSE',
    message: /not a STIX bundle: a single "campaign" object/,
  });
});

t.test('indicates relationships become threat context', async (t) => {
  const hash = parseAt(fixture('stix/oasis-doc-malware-indicator-for-file-hash.json')).observations[0]!;
  t.same(hash.context, [{ kind: 'malware', name: 'Poison Ivy' }]);
  t.same(hash.tags, ['malicious-activity']);

  const apt1 = parseAt(fixture('stix/oasis-apt1.json')).observations;
  t.same(apt1.find((o) => o.value === 'hugesoft.org')?.context, [{ kind: 'threat-actor', name: 'Ugly Gorilla' }],
    'APT1 is attributed-to Ugly Gorilla, not the other way: no hop to it');
  t.same(apt1.find((o) => o.value === '223.166.0.0/15')?.context, [{ kind: 'malware', name: 'HUC Packet Transmit Tool (HTRAN)' }]);

  const ivy = parseAt(fixture('stix/oasis-poisonivy.json')).observations;
  t.same(ivy.find((o) => o.value === '219.76.208.163')?.context, [
    { kind: 'malware', name: 'PIVY Variant (808e21d6efa2884811fbd0adf67fda78)' },
    { kind: 'campaign', name: 'admin@338' },
  ]);
  t.same(ivy.find((o) => o.value === '219.76.208.163')?.tags, ['malicious-activity', 'attribution']);

  const campaign = parseAt(fixture('stix/oasis-indicator-to-campaign-relationship.json')).observations[0]!;
  t.same(campaign.context, [{ kind: 'campaign', name: 'Operation Omega' }]);
});

t.test('a verdict shows the context, tags and TLP a bundle gave', async (t) => {
  const hashBody = fixture('stix/oasis-doc-malware-indicator-for-file-hash.json');
  const sha = 'ef537f25c895bfa782526529a9b63d97aa631564d5d789c2b765448c8635fb6c';
  const v = describe(decide(matcherFor([{ name: 's', format: 'stix', body: hashBody }]), parseQuery(sha, 'value')));
  t.equal(v.match?.indicator, sha);
  t.same(v.context, [{ kind: 'malware', name: 'Poison Ivy' }]);
  t.same(v.tags, ['malicious-activity']);
  t.equal(v.sources[0]!.tlp, undefined, 'no marking, no TLP');

  const marked = fixture('stix/oasis-doc-using-marking-definitions.json');
  const m = describe(decide(matcherFor([{ name: 's', format: 'stix', body: marked }]), parseQuery('10.0.0.0', 'value')));
  t.equal(m.sources[0]!.tlp, 'amber', 'TLP:AMBER beside a copyright statement marking');
  t.same(m.tags, ['malicious-activity']);
});

t.test('TLP markings: fixed ids, definitions in the bundle, the strictest wins', async (t) => {
  // The interop file is one campaign object: read its markings directly (red, and a mistyped id).
  const campaign = JSON.parse(fixture('stix/oasis-interop-objectmarking-test.json').toString('utf8')) as StixObject;
  t.equal(tlpOf(indexBundle([]), campaign), 'red');

  // Granular markings: green covers the pattern; red and amber cover description and a type.
  const granular = JSON.parse(fixture('stix/oasis-doc-using-granular-markings.json').toString('utf8')) as {
    objects: StixObject[];
  };
  const ind = granular.objects.find((o) => o.type === 'indicator')!;
  t.equal(tlpOf(indexBundle(granular.objects), ind), 'green');

  const tlp2 = (name: string, id: string) => ({
    type: 'marking-definition',
    spec_version: '2.1',
    id,
    created: '2022-10-01T00:00:00.000Z',
    name,
    extensions: { 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d': { extension_type: 'property-extension', tlp_2_0: 'amber+strict' } },
  });
  const own = 'marking-definition--00000000-0000-4000-8000-00000000a5a5';
  const cases: Array<[string[], string | undefined, unknown[]]> = [
    [['marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9'], 'clear', []],
    [['marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da'], 'green', []],
    [['marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1'], 'red', []],
    [['marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003'], 'amber+strict', []],
    [[own], 'amber+strict', [tlp2('TLP:AMBER+STRICT', own)]],
    [[own], 'clear', [{ type: 'marking-definition', id: own, created: '2017-01-20T00:00:00.000Z', definition_type: 'tlp', definition: { tlp: 'white' } }]],
    [['marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da', 'marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed'], 'red', []],
    [['marking-definition--00000000-0000-4000-8000-000000000bad'], undefined, []],
  ];
  for (const [refs, expected, defs] of cases) {
    const obs = parseAt(bundle(...defs, indicator("[domain-name:value = 'tlp.example.com']", { object_marking_refs: refs })));
    t.equal(obs.observations[0]!.tlp, expected, `${refs.join(' ')} -> ${expected}`);
  }
});

t.test('ATT&CK ids, one attributed-to hop, based-on either way, revoked objects give no context', async (t) => {
  const ind = indicator("[domain-name:value = 'ctx.example.com']");
  const id = ind.id as string;
  const objects = [
    ind,
    { type: 'attack-pattern', id: 'attack-pattern--1', name: 'PowerShell', external_references: [
      { source_name: 'capec', external_id: 'CAPEC-1' },
      { source_name: 'mitre-attack', external_id: 'T1059.001', url: 'https://attack.mitre.org/techniques/T1059/001' },
    ] },
    { type: 'malware', id: 'malware--1', name: 'Cobalt Strike', external_references: [{ source_name: 'mitre-attack', external_id: 'S0154' }] },
    { type: 'intrusion-set', id: 'intrusion-set--1', name: 'APT29', external_references: [{ source_name: 'mitre-attack', external_id: 'G0016' }] },
    { type: 'intrusion-set', id: 'intrusion-set--2', name: 'Two hops away' },
    { type: 'tool', id: 'tool--1', name: 'mimikatz', external_references: [{ source_name: 'mitre-mobile-attack', external_id: 'S0002' }] },
    { type: 'campaign', id: 'campaign--1', name: 'Old campaign', revoked: true },
    { type: 'observed-data', id: 'observed-data--1' },
    rel('indicates', id, 'attack-pattern--1'),
    rel('indicates', id, 'malware--1'),
    rel('attributed-to', 'malware--1', 'intrusion-set--1'),
    rel('attributed-to', 'intrusion-set--1', 'intrusion-set--2'),
    rel('based-on', 'tool--1', id),
    rel('based-on', id, 'observed-data--1'),
    rel('indicates', id, 'campaign--1'),
  ];
  const obs = parseAt(bundle(...objects)).observations[0]!;
  t.same(obs.context, [
    { kind: 'attack-pattern', name: 'PowerShell', attack_ids: ['T1059.001'] },
    { kind: 'malware', name: 'Cobalt Strike', attack_ids: ['S0154'] },
    { kind: 'tool', name: 'mimikatz', attack_ids: ['S0002'] },
    { kind: 'intrusion-set', name: 'APT29', attack_ids: ['G0016'] },
  ]);
});

function rel(type: string, source: string, target: string) {
  serial++;
  return { type: 'relationship', id: `relationship--${serial}`, relationship_type: type, source_ref: source, target_ref: target };
}

t.test('pattern grammar: string escapes', async (t) => {
  const tree = parsePattern("[file:name = 'O\\'Brien' OR file:name = 'C:\\\\temp\\\\x.exe']");
  t.match(tree, {
    kind: 'observation',
    test: { kind: 'or', items: [{ value: { kind: 'string', value: "O'Brien" } }, { value: { kind: 'string', value: 'C:\\temp\\x.exe' } }] },
  });
  t.same(onePattern("[url:value = 'http://q.example.com/it\\'s']").keys, ["url:http://q.example.com/it's"],
    'an escaped quote is part of the value');
  t.same(onePattern("[domain-name:value = 'it\\'s.example.com']").invalid, { 'invalid character in label "it\'s"': 1 },
    'and reaches normalization, which refuses it in a name');
  t.same(onePattern("[url:value = 'http://esc.example.com/a\\\\b']").keys, ['url:http://esc.example.com/a/b'],
    'a backslash in a URL path is what WHATWG makes of it');
  t.throws(() => parsePattern("[file:name = 'a\\qb']"), { name: 'PatternSyntaxError', message: /invalid escape \\q/ });
});

t.test('pattern grammar: every spelling of the MD5, SHA-1 and SHA-256 keys', async (t) => {
  const md5 = '8764605c6f388c89096b534d33565802';
  const sha1 = '46aba99aa7158e4609aaa72b50990842fd22ae86';
  const sha256 = 'ec5aedf5ecc6bdadd4120932170d1b10f6cfa175cfda22951dfd882928ab279b';
  const spellings: Array<[string, string, string]> = [
    ["'MD5'", md5, 'md5'],
    ['MD5', md5, 'md5'],
    ['md5', md5, 'md5'],
    ["'SHA-1'", sha1, 'sha1'],
    ['SHA1', sha1, 'sha1'],
    ["'SHA1'", sha1, 'sha1'],
    ["'sha-1'", sha1, 'sha1'],
    ["'SHA-256'", sha256, 'sha256'],
    ['SHA256', sha256, 'sha256'],
    ['sha256', sha256, 'sha256'],
    ["'SHA256'", sha256, 'sha256'],
    ['SHA_256', sha256, 'sha256'],
  ];
  for (const [key, hex, type] of spellings) {
    t.same(onePattern(`[file:hashes.${key} = '${hex.toUpperCase()}']`).keys, [`${type}:${hex}`], key);
  }
  t.same(onePattern("[file:hashes.'SHA-512' = 'abcd']").skipped, { 'hash type SHA-512 not supported': 1 });
  t.same(onePattern("[file:hashes.SSDEEP = '3:a:b']").skipped, { 'hash type SSDEEP not supported': 1 });

  const wrong = onePattern(`[file:hashes.MD5 = '${sha256}']`);
  t.same(wrong.keys, [`sha256:${sha256}`], 'a SHA-256 under the MD5 key is read as what it is');
  t.same(wrong.report.adjusted.reasons, { 'md5 hash value is a sha256': 1 });
});

t.test('pattern grammar: ISSUBSET with networks, IN sets, nested parentheses', async (t) => {
  t.same(onePattern("[ipv4-addr:value ISSUBSET '198.51.100.0/24']").keys, ['cidr:198.51.100.0/24']);
  t.same(onePattern("[ipv6-addr:value ISSUBSET '2001:db8:1::/48']").keys, ['cidr:2001:db8:1::/48']);
  t.same(onePattern("[domain-name:value ISSUBSET 'example.com']").skipped, { 'operator ISSUBSET on domain-name:value not supported': 1 });
  t.same(onePattern("[ipv4-addr:value ISSUPERSET '198.51.100.0/24']").skipped, { 'operator ISSUPERSET on ipv4-addr:value not supported': 1 });
  t.same(onePattern("[ipv4-addr:value IN ('198.51.100.1', '198.51.100.2')]").keys, ['ipv4:198.51.100.1', 'ipv4:198.51.100.2']);

  const nested = onePattern(
    "([((ipv4-addr:value = '198.51.100.3') OR (domain-name:value = 'n1.example.com' OR (url:value = 'http://n2.example.com/p')))] OR (([domain-name:value = 'n3.example.com'])))",
  );
  t.same(nested.keys, ['ipv4:198.51.100.3', 'domain:n1.example.com', 'url:http://n2.example.com/p', 'domain:n3.example.com']);
  t.same(nested.skipped, {});
});

t.test('pattern grammar: precedence of AND over OR, qualifiers binding to one observation', async (t) => {
  t.match(parsePattern("[a:x = '1' OR b:y = '2' AND c:z = '3']"), {
    test: { kind: 'or', items: [{ kind: 'compare' }, { kind: 'and', items: [{ kind: 'compare' }, { kind: 'compare' }] }] },
  });
  t.match(parsePattern("[a:x = '1'] OR [b:y = '2'] AND [c:z = '3'] FOLLOWEDBY [d:w = '4']"), {
    kind: 'followedby',
    items: [{ kind: 'or', items: [{ kind: 'observation' }, { kind: 'and' }] }, { kind: 'observation' }],
  });
  t.match(parsePattern("[a:x = '1'] OR [b:y = '2'] START t'2024-01-01T00:00:00Z' STOP t'2024-02-01T00:00:00.5Z'"), {
    kind: 'or',
    items: [{ kind: 'observation' }, { kind: 'qualified', qualifier: { kind: 'startstop', start: 1704067200, stop: 1706745600 } }],
  });
});

t.test('pattern grammar: every operator and literal parses; what is not enforceable says why', async (t) => {
  const table: Array<[string, Record<string, number>]> = [
    ["[ipv4-addr:value != '198.51.100.9']", { 'operator != on ipv4-addr:value not supported': 1 }],
    ["[ipv4-addr:value <> '198.51.100.9']", { 'operator != on ipv4-addr:value not supported': 1 }],
    ['[file:size > 100]', { 'object path file:size not supported': 1 }],
    ['[file:size >= -5]', { 'object path file:size not supported': 1 }],
    ['[file:size < 1.5]', { 'object path file:size not supported': 1 }],
    ['[file:size <= .5]', { 'object path file:size not supported': 1 }],
    ["[url:value LIKE 'http://%.example.com/%']", { 'operator LIKE on url:value not supported': 1 }],
    ["[url:value MATCHES '^http://']", { 'operator MATCHES on url:value not supported': 1 }],
    ['[url:value = 42]', { 'int literal on url:value not supported': 1 }],
    ['[domain-name:value = true]', { 'bool literal on domain-name:value not supported': 1 }],
    ["[artifact:payload_bin = b'aGVsbG8=']", { 'object path artifact:payload_bin not supported': 1 }],
    ["[file:magic_number_hex = h'ffd8']", { 'object path file:magic_number_hex not supported': 1 }],
    ["[file:created = t'2024-01-01T00:00:00Z']", { 'object path file:created not supported': 1 }],
    ['[EXISTS windows-registry-key:key]', { 'EXISTS not supported': 1 }],
    ["[domain-name:value = 'a.example.com'] AND [domain-name:value = 'b.example.com']", { 'AND of observations not supported': 1 }],
    ["[domain-name:value = 'a.example.com'] FOLLOWEDBY [url:value = 'http://b.example.com/']", { 'FOLLOWEDBY not supported': 1 }],
    ["[domain-name:value = 'a.example.com'] WITHIN 300 SECONDS", { 'WITHIN qualifier not supported': 1 }],
    ["[domain-name:value = 'a.example.com'] REPEATS 5 TIMES", { 'REPEATS qualifier not supported': 1 }],
    ["[domain-name:value = 'a.example.com'] START t'2024-02-01T00:00:00Z' STOP t'2024-01-01T00:00:00Z'", { 'START/STOP window is empty': 1 }],
    ["[domain-name:value NOT IN ('a.example.com')]", { 'negation (NOT) not supported': 1 }],
    ["[email-addr:value = 'x@example.com']", { 'object path email-addr:value not supported': 1 }],
    ["[x-acme-thing:value = 'x']", { 'object path x-acme-thing:value not supported': 1 }],
    ["[ipv4_addr:value = '198.51.100.9']", { 'unknown object type ipv4_addr': 1 }],
    ["[network-traffic:dst_ref.value = '198.51.100.9' AND network-traffic:protocols[*] = 'tcp']", { 'AND of comparisons not supported': 1 }],
    ["[network-traffic:dst_ref.value = '198.51.100.9' AND network-traffic:dst_port = 70000]", { 'AND of comparisons not supported': 1 }],
    ["[file:hashes.constructor = 'x']", { 'hash type constructor not supported': 1 }],
    ["[__proto__:value = 'x']", { 'unknown object type __proto__': 1 }],
  ];
  for (const [pattern, skipped] of table) {
    const r = onePattern(pattern);
    t.same(r.keys, [], `${pattern}: nothing enforced`);
    t.same(r.skipped, skipped, pattern);
    t.same(r.invalid, {}, `${pattern}: parses`);
  }
  t.match(extractValues(parsePattern("[domain-name:value = 'x.example.com'] START t'2024-01-01T00:00:00Z' STOP t'2025-01-01T00:00:00Z'")), {
    values: [{ raw: 'x.example.com', window: { start: 1704067200, stop: 1735689600 } }],
  });
});

t.test('an OR with some branches enforceable keeps those and reports the rest', async (t) => {
  const r = onePattern("[domain-name:value = 'p.example.com' OR file:name = 'x.exe' OR ipv4-addr:value = '198.51.100.50']");
  t.same(r.keys, ['domain:p.example.com', 'ipv4:198.51.100.50']);
  t.same(r.skipped, { 'object path file:name not supported': 1 });
  t.match(r.report.skipped.examples[0]!.value, /^indicator--/);
});

t.test('malformed patterns are counted invalid with the indicator id, never a crash', async (t) => {
  const bad: Array<[string, RegExp]> = [
    ["[ipv4-addr:value = '198.51.100.1'", /expected '\]' to close the observation/],
    ["ipv4-addr:value = '198.51.100.1']", /expected '\[' or '\('/],
    ["[ipv4-addr:value = '198.51.100.1']]", /unexpected '\]' after the pattern/],
    ["([ipv4-addr:value = '198.51.100.1']", /expected '\)'/],
    ["[ipv4-addr:value = '198.51.100.1]", /unterminated string literal/],
    ["[file:created = t'yesterday']", /bad timestamp literal/],
    ["[file:created = t'2024-13-45T00:00:00Z']", /bad timestamp literal/],
    ["[file:magic_number_hex = h'abc']", /bad hex literal/],
    ["[artifact:payload_bin = b'!!']", /bad binary literal/],
    ['[file:size = 12abc]', /bad number literal/],
    ['', /expected '\[' or '\(' but found the end/],
    ['[]', /expected an object type/],
    ['[ipv4-addr:value]', /expected a comparison operator/],
    ["[ipv4-addr = '198.51.100.1']", /expected ':'/],
    ["[ipv4-addr:value = '198.51.100.1'] START t'2024-01-01T00:00:00Z'", /START without STOP/],
    ["[ipv4-addr:value = '198.51.100.1'] REPEATS 0 TIMES", /positive integer/],
    ["[ipv4-addr:value LIKE 5]", /LIKE needs a string literal/],
    ["[ipv4-addr:value = '198.51.100.1' OR]", /expected an object type/],
    ["[ipv4-addr:value = '198.51.100.1'] ; DROP", /unexpected character ";"/],
    [`${'('.repeat(500)}[ipv4-addr:value = '198.51.100.1']${')'.repeat(500)}`, /nested too deeply/],
  ];
  const objects = bad.map(([pattern]) => indicator(pattern));
  const report = parseAt(bundle(...objects, indicator("[ipv4-addr:value = '198.51.100.60']")));
  t.same(keys(report), ['ipv4:198.51.100.60'], 'the good indicator after them is read');
  t.equal(report.invalid.count, bad.length);
  for (const [pattern, message] of bad) {
    t.throws(() => parsePattern(pattern), PatternSyntaxError, pattern);
    t.throws(() => parsePattern(pattern), { message }, pattern);
  }
  for (const example of report.invalid.examples) {
    t.match(example.value, /^indicator--\S+: /, 'the id leads the example');
    t.match(example.reason, /^invalid pattern: /);
  }
});

t.test('generated and mutated patterns never crash the parser', async (t) => {
  let seed = 42;
  const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0), (seed >>> 8) % n);
  const pick = <T>(xs: T[]) => xs[rand(xs.length)]!;
  const paths = ['ipv4-addr:value', 'domain-name:value', "file:hashes.'SHA-256'", 'file:hashes.MD5', 'network-traffic:dst_port', 'x:a[*].b'];
  const literal = () => pick(["'198.51.100.1'", "'a.example.com'", '5', '-1.5', "t'2024-01-01T00:00:00Z'", "h'ff'", "b'AA=='", 'true', "'O\\'B'"]);
  const compare = (): string => {
    const op = pick(['=', '!=', '>', 'IN', 'LIKE', 'MATCHES', 'ISSUBSET', 'NOT =']);
    return `${pick(paths)} ${op} ${op === 'IN' ? `(${literal()}, ${literal()})` : literal()}`;
  };
  const cmp = (d: number): string =>
    d > 3 ? compare() : pick([compare, () => `${cmp(d + 1)} ${pick(['AND', 'OR'])} ${cmp(d + 1)}`, () => `(${cmp(d + 1)})`])();
  const obs = (d: number): string =>
    d > 3
      ? `[${cmp(d)}]`
      : pick([
          () => `[${cmp(d)}]`,
          () => `${obs(d + 1)} ${pick(['AND', 'OR', 'FOLLOWEDBY'])} ${obs(d + 1)}`,
          () => `(${obs(d + 1)})`,
          () => `${obs(d + 1)} ${pick(['WITHIN 5 SECONDS', 'REPEATS 2 TIMES', "START t'2024-01-01T00:00:00Z' STOP t'2025-01-01T00:00:00Z'"])}`,
        ])();
  let parsed = 0;
  for (let i = 0; i < 3000; i++) {
    let pattern = obs(0);
    if (rand(2)) {
      const at = rand(pattern.length);
      pattern = pattern.slice(0, at) + (rand(2) ? pick(['[', ']', '(', ')', "'", '\\', ':', ' ', '=']) : '') + pattern.slice(at + 1);
    }
    try {
      extractValues(parsePattern(pattern));
      parsed++;
    } catch (err) {
      if (!(err instanceof PatternSyntaxError) || !(err.position >= 0 && err.position <= pattern.length)) {
        t.fail(`${pattern}: ${String(err)}`);
      }
    }
  }
  t.ok(parsed > 500 && parsed < 3000, `${parsed} of 3000 parsed, the rest refused with a position`);
  const refs = parseAt(bundle(indicator("[domain-name:value = 'proto.example.com']", { object_marking_refs: ['__proto__', 'toString'] })));
  t.equal(refs.observations[0]!.tlp, undefined, 'marking ids are looked up as data, not properties');
});

t.test('validity, revocation, confidence, indicator types and STIX 2.0', async (t) => {
  const r = parseAt(bundle(
    indicator("[domain-name:value = 'conf.example.com']", { confidence: 85, indicator_types: ['malicious-activity', 'anomalous-activity'] }),
    indicator("[domain-name:value = 'over.example.com']", { confidence: 150 }),
    indicator("[domain-name:value = 'future.example.com']", { valid_from: '2099-01-01T00:00:00Z' }),
    indicator("[domain-name:value = 'until.example.com']", { valid_until: '2030-01-01T00:00:00Z' }),
    indicator("[domain-name:value = 'benign.example.com']", { indicator_types: ['benign'] }),
    // STIX 2.0: no pattern_type, types in labels.
    { type: 'indicator', id: 'indicator--20', created: '2017-01-01T00:00:00Z', modified: '2017-01-01T00:00:00Z',
      valid_from: '2017-01-01T00:00:00Z', labels: ['malicious-activity'], pattern: "[url:value = 'http://v20.example.com/']" },
    indicator("[domain-name:value = 'badtime.example.com']", { valid_until: 'soon' }),
    indicator("[domain-name:value = 'revoked.example.com']", { revoked: true }),
  ), NOW);
  const by = (v: string) => r.observations.find((o) => o.value === v);
  t.same(keys(r), [
    'domain:conf.example.com',
    'domain:over.example.com',
    'domain:until.example.com',
    'domain:benign.example.com',
    'url:http://v20.example.com/',
    'domain:badtime.example.com',
  ]);
  t.equal(by('conf.example.com')?.confidence, 85);
  t.same(by('conf.example.com')?.tags, ['malicious-activity', 'anomalous-activity']);
  t.equal(by('conf.example.com')?.firstSeen, Date.parse('2024-05-01T00:00:00Z') / 1000);
  t.equal(by('over.example.com')?.confidence, undefined, 'a confidence over 100 is not a STIX confidence');
  t.equal(by('until.example.com')?.validUntil, Date.parse('2030-01-01T00:00:00Z') / 1000);
  t.equal(by('benign.example.com')?.action, 'allow');
  t.same(by('http://v20.example.com/')?.tags, ['malicious-activity']);
  t.equal(by('badtime.example.com')?.validUntil, undefined);
  t.same(r.skipped.reasons, { 'not yet valid (valid_from in the future)': 1, revoked: 1 });
  t.same(r.adjusted.reasons, { 'unreadable valid_until ignored': 1 });

  const off = parseAt(bundle(indicator("[domain-name:value = 'benign.example.com']", { indicator_types: ['benign'] })), NOW, {
    stix: { benign_as_allow: false },
  });
  t.equal(off.list.size, 0, 'benign is never blocked, even when not an allow entry');
  t.same(off.skipped.reasons, { 'benign indicator (stix.benign_as_allow is off)': 1 });
});

t.test('START/STOP: enforced inside the window until its STOP, skipped outside', async (t) => {
  const pattern = "[ipv4-addr:value = '192.0.2.44'] START t'2024-01-01T00:00:00Z' STOP t'2024-02-01T00:00:00Z'";
  const inside = parseAt(bundle(indicator(pattern, { valid_from: '2023-01-01T00:00:00Z' })), Date.parse('2024-01-15T00:00:00Z') / 1000);
  t.same(keys(inside), ['ipv4:192.0.2.44']);
  t.equal(inside.observations[0]!.validUntil, Date.parse('2024-02-01T00:00:00Z') / 1000);

  const earlier = parseAt(
    bundle(indicator(pattern, { valid_from: '2023-01-01T00:00:00Z', valid_until: '2024-01-20T00:00:00Z' })),
    Date.parse('2024-01-15T00:00:00Z') / 1000,
  );
  t.equal(earlier.observations[0]!.validUntil, Date.parse('2024-01-20T00:00:00Z') / 1000, 'the earlier of valid_until and STOP');

  const before = parseAt(bundle(indicator(pattern, { valid_from: '2023-01-01T00:00:00Z' })), Date.parse('2023-12-01T00:00:00Z') / 1000);
  t.equal(before.list.size, 0);
  t.same(before.skipped.reasons, { 'outside its START/STOP window': 1 });
});

t.test('several versions of one object: the newest modified wins, wherever it sits', async (t) => {
  const old = indicator("[domain-name:value = 'old-version.example.com']", { modified: '2024-05-01T00:00:00.000Z' });
  const newer = { ...old, modified: '2024-06-01T00:00:00.000Z', pattern: "[domain-name:value = 'new-version.example.com']" };
  t.same(keys(parseAt(bundle(old, newer))), ['domain:new-version.example.com']);
  t.same(keys(parseAt(bundle(newer, old))), ['domain:new-version.example.com'], 'a stale copy later in the bundle');
  const revoked = { ...old, modified: '2024-07-01T00:00:00.000Z', revoked: true };
  const r = parseAt(bundle(old, revoked, indicator("[domain-name:value = 'other.example.com']")));
  t.same(keys(r), ['domain:other.example.com']);
  t.same(r.skipped.reasons, { revoked: 1 });
});

t.test('bodies that are not STIX bundles fail as a whole with the reason', async (t) => {
  const bad: Array<[string, RegExp]> = [
    ['this is not json', /not valid JSON/],
    ['{"type": "bundle", "objects": [', /not valid JSON/],
    ['[{"type": "indicator"}]', /not a STIX bundle: a JSON array/],
    ['"bundle"', /not a STIX bundle: a JSON string/],
    ['{"type": "bundle", "id": "bundle--1"}', /not a STIX bundle: no objects array/],
    ['{"type": "bundle", "objects": {"a": 1}}', /not a STIX bundle: no objects array/],
    ['{"type": "report", "objects": []}', /not a STIX bundle: a single "report" object/],
    ['{"type": "bundle", "objects": []}', /no entries/],
  ];
  for (const [body, message] of bad) {
    t.throws(() => parseBody(body, { format: 'stix' }), { name: 'FeedParseError', code: 'SLUICE_ERR_FEED_PARSE', message }, body);
  }
  const err = t.throws(() => parseAt('nope')) as unknown;
  t.ok(err instanceof FeedParseError, 'parseStix itself throws FeedParseError');

  // A TAXII envelope has objects and no type.
  t.same(keys(parseBody(JSON.stringify({ more: false, objects: [indicator("[domain-name:value = 'envelope.example.com']")] }), { format: 'stix' })), [
    'domain:envelope.example.com',
  ]);
});

t.test('objects that are not STIX objects are counted, the rest of the bundle is read', async (t) => {
  const r = parseAt(bundle(null, 5, 'x', { type: 'indicator' }, indicator("[domain-name:value = 'ok.example.com']"), indicator('nope', { pattern: undefined })));
  t.same(keys(r), ['domain:ok.example.com']);
  t.same(r.invalid.reasons, { 'not a STIX object': 3, 'STIX object without type or id': 1, 'indicator without a pattern': 1 });
  t.same(r.invalid.examples.map((e) => e.line), [1, 2, 3, 4, 6]);
});
