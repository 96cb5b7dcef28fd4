// MISP: events, event lists, restSearch answers and MISP feeds (manifest.json plus one file per
// event). The counts over the real files in test/fixtures/misp were worked out from the files
// with a separate Python reading (to_ids and deleted flags, attribute types, composite halves,
// distinct values per type), not from this code's output.
import t, { type Test } from 'tap';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../helpers/quiet.js';
import { defaultGuard, FIXTURES, fixture, keys, matcherFor, parseBody } from '../helpers/feeds.js';
import { FeedServer } from '../helpers/feed-server.js';
import { FeedParseError } from '../../src/errors.js';
import { parseConfig } from '../../src/config/load.js';
import { MemoryStore } from '../../src/store/memory/index.js';
import { Syncer } from '../../src/sync/syncer.js';
import { Metrics } from '../../src/metrics/registry.js';
import { Matcher } from '../../src/match/matcher.js';
import { decide, describe } from '../../src/match/verdict.js';
import { parseQuery } from '../../src/match/query.js';
import type { CompiledSet } from '../../src/match/compiled-set.js';
import type { ParseReport } from '../../src/feeds/parsers/index.js';

const SAMPLE = 'misp/circl-osint-sample/';

function distinct(report: ParseReport): Record<string, number> {
  const byType: Record<string, Set<string>> = {};
  for (const o of report.observations) (byType[o.type] ??= new Set()).add(o.value);
  return Object.fromEntries(Object.entries(byType).map(([type, values]) => [type, values.size]));
}

function find(report: ParseReport, key: string) {
  return report.observations.find((o) => `${o.type}:${o.value}` === key);
}

const misp = (body: unknown, options: Record<string, unknown> = {}) =>
  parseBody(typeof body === 'string' ? body : JSON.stringify(body), { format: 'misp', ...options });

interface Expected {
  observations: number;
  distinct: Record<string, number>;
  invalid?: Record<string, number>;
  skipped: Record<string, number>;
  present: string[];
  absent: string[];
  tlp?: string;
}

const REAL: Record<string, Expected> = {
  // Cerber: 5 of 13 attributes are to_ids. The malware-sample is `name|md5`; the url attribute
  // holds a bare .onion name; the other urls (ipinfo.io, a CDN) are context only.
  [`${SAMPLE}56e12e66-f01c-41be-afea-4d9a950d210f.json`]: {
    observations: 5,
    distinct: { url: 1, domain: 1, md5: 1, sha1: 1, sha256: 1 },
    skipped: { 'not to_ids': 8 },
    present: ['domain:decrypttozxybarc.onion', 'md5:2f7059d7b1dda3080e391d99788fff18', 'sha1:0af6bde11eaa699604aa92cce9a6210dfce70f42'],
    absent: ['url:http://ipinfo.io/json', 'url:http://maxcdn.bootstrapcdn.com/bootstrap/3.3.5/css/bootstrap.min.css'],
    tlp: 'clear',
  },
  // ASERT "Four-Element Sword": 258 to_ids attributes, 8 of them of types sluice does not
  // enforce; 44 filename|md5 and 44 filename|sha256 give their hashes (some repeat the plain
  // md5/sha256 attributes); "107.183.86" (a url attribute) is a truncated address.
  [`${SAMPLE}57153590-f73c-49fa-be4b-4737950d210f.json`]: {
    observations: 249,
    distinct: { md5: 74, sha256: 73, sha1: 57, domain: 12, ipv4: 8, url: 13 },
    invalid: { 'IPv4 host in a non-dotted-quad form': 1 },
    skipped: {
      'not to_ids': 112,
      'type filename': 4,
      'type email-attachment': 1,
      'type imphash': 1,
      'type pehash': 1,
      'type ssdeep': 1,
    },
    present: ['domain:akm.epac.to', 'domain:gugehotel.cn', 'ipv4:103.240.203.232', 'url:http://198.55.120.143:7386/B/ResN32.dll'],
    absent: ['ipv4:114.60.106.156', 'domain:uygur.51vip.biz'],
    tlp: 'clear',
  },
  [`${SAMPLE}57c4445b-c548-4654-af0b-4be3950d210f.json`]: {
    observations: 3,
    distinct: { md5: 1, sha1: 1, sha256: 1 },
    skipped: { 'not to_ids': 4, 'type filename': 1, 'type regkey|value': 1 },
    present: [],
    absent: [],
    tlp: 'clear',
  },
  [`${SAMPLE}5a0a9aa9-23a4-4607-b6df-41a9950d210f.json`]: {
    observations: 50,
    distinct: { domain: 4, ipv4: 2, md5: 14, sha1: 14, sha256: 16 },
    skipped: { 'not to_ids': 21, 'type filename': 4 },
    present: ['domain:www.fyoutside.com', 'ipv4:98.126.156.210'],
    absent: [],
    tlp: 'clear',
  },
  // Emotet/Qakbot: 24 ip-port objects; their port attributes are not to_ids.
  [`${SAMPLE}5a0ac036-6fbc-4855-83af-422b950d210f.json`]: {
    observations: 58,
    distinct: { ipv4: 43, md5: 5, sha1: 5, sha256: 5 },
    skipped: { 'not to_ids': 34, 'type filename': 4 },
    present: ['ipv4:104.236.252.178', 'ipv4:105.224.247.34'],
    absent: [],
    tlp: 'clear',
  },
  // FALLCHILL: 90 ip-dst and 3 ip-dst|port, with repeats (objects repeat top-level addresses).
  [`${SAMPLE}5a0d5bf4-99c8-4f15-9879-22b1950d210f.json`]: {
    observations: 113,
    distinct: { ipv4: 87, md5: 14, sha1: 2, sha256: 2 },
    skipped: { 'not to_ids': 11, 'type filename': 2, 'type ssdeep': 2 },
    present: ['ipv4:175.100.189.174', 'ipv4:10.10.30.110'],
    absent: [],
    tlp: 'clear',
  },
  // Sednit: 9 top-level attributes and 49 objects; galaxy clusters in full.
  [`${SAMPLE}5a3c2fcd-8328-42bb-a95e-4f4402de0b81.json`]: {
    observations: 68,
    distinct: { domain: 18, sha1: 37, ipv4: 11 },
    skipped: { 'not to_ids': 39, 'type filename': 15 },
    present: ['domain:movieultimate.com', 'ipv4:87.236.211.182'],
    absent: [],
    tlp: 'clear',
  },
  // A restSearch answer of two events: an AS attribute without to_ids, and one domain.
  'misp/misp-stix-test_events_collection_1.json': {
    observations: 1,
    distinct: { domain: 1 },
    skipped: { 'not to_ids': 1 },
    present: ['domain:circl.lu'],
    absent: [],
  },
};

t.test('real MISP files: what each yields and what it skips, and why', async (t) => {
  for (const [file, e] of Object.entries(REAL)) {
    t.test(file, async (t) => {
      const report = parseBody(fixture(file), { format: 'misp' });
      t.equal(report.observations.length, e.observations, 'observations');
      t.same(distinct(report), e.distinct, 'distinct indicators per type');
      t.same(report.invalid.reasons, e.invalid ?? {}, 'invalid values');
      t.same(report.skipped.reasons, e.skipped, 'skipped attributes by reason');
      for (const key of e.present) t.ok(find(report, key), `${key} is listed`);
      for (const key of e.absent) t.notOk(find(report, key), `${key} is not listed`);
      t.ok(report.observations.every((o) => o.tlp === e.tlp), `TLP ${e.tlp ?? 'none'} on every value`);
      t.notOk(report.observations.some((o) => o.tags?.some((tag) => tag.startsWith('tlp:'))), 'TLP tags are not plain tags');
      t.ok(report.observations.every((o) => o.firstSeen !== undefined), 'every value has a time from MISP');
    });
  }
  t.test('the truncated address is named in the invalid examples', async (t) => {
    const report = parseBody(fixture(`${SAMPLE}57153590-f73c-49fa-be4b-4737950d210f.json`), { format: 'misp' });
    t.equal(report.invalid.examples[0]!.value, '107.183.86');
  });
  t.test('an ip-dst|port attribute lists the address with its port as a tag', async (t) => {
    const report = parseBody(fixture(`${SAMPLE}5a0d5bf4-99c8-4f15-9879-22b1950d210f.json`), { format: 'misp' });
    const ported = report.observations.filter((o) => o.tags?.includes('port:443')).map((o) => o.value);
    t.same(ported.sort(), ['125.212.132.222', '175.100.189.174']);
    t.ok(report.observations.some((o) => o.value === '10.10.30.110' && o.tags?.includes('port:1992')));
  });
});

t.test('galaxy clusters and misp-galaxy tags become context on the verdict', async (t) => {
  t.test('clusters in full: kind, name, ATT&CK id from the cluster refs', async (t) => {
    const body = fixture(`${SAMPLE}5a3c2fcd-8328-42bb-a95e-4f4402de0b81.json`);
    const m = matcherFor([{ name: 'm', format: 'misp', body }]);
    const v = describe(decide(m, parseQuery('movieultimate.com', 'value')));
    t.equal(v.match?.indicator, 'movieultimate.com');
    t.match(v.context, [
      { kind: 'threat-actor', name: 'Sofacy' },
      { kind: 'exploit-kit', name: 'Sednit EK' },
      { kind: 'exploit-kit', name: 'DealersChoice' },
      { kind: 'tool', name: 'GAMEFISH' },
    ]);
    t.same(v.context.find((c) => c.name === 'JHUHUGIT'), { kind: 'mitre-malware', name: 'JHUHUGIT', attack_ids: ['S0044'] });
    t.same(v.context.find((c) => c.name === 'CHOPSTICK'), { kind: 'mitre-malware', name: 'CHOPSTICK', attack_ids: ['S0023'] });
    t.equal(v.context.filter((c) => c.name === 'Sofacy').length, 1, 'the cluster and its tag are one context');
    t.equal(v.context.length, 14, 'the 14 clusters of the event');
    t.equal(v.sources[0]!.tlp, 'clear', 'tlp:white is TLP clear');
    t.equal(v.sources[0]!.first_seen, '2017-12-21T22:05:57.000Z', 'first seen from the attribute timestamp');
    t.ok(v.tags.includes('workflow:state="incomplete"'), 'event tags are kept');
    t.notOk(v.tags.includes('tlp:white'));
  });
  t.test('misp-galaxy tags alone', async (t) => {
    const body = fixture(`${SAMPLE}5a0d5bf4-99c8-4f15-9879-22b1950d210f.json`);
    const m = matcherFor([{ name: 'm', format: 'misp', body }]);
    const v = describe(decide(m, parseQuery('175.100.189.174', 'value')));
    t.same(v.context, [
      { kind: 'threat-actor', name: 'Lazarus Group' },
      { kind: 'rat', name: 'FALLCHILL' },
    ]);
    t.ok(v.tags.includes('port:443'));
    t.equal(v.sources[0]!.tlp, 'clear');
  });
  t.test('a private address flagged to_ids is parsed, and held back by the guards', async (t) => {
    const body = fixture(`${SAMPLE}5a0d5bf4-99c8-4f15-9879-22b1950d210f.json`);
    const m = matcherFor([{ name: 'm', format: 'misp', body }], '', undefined, { guard: defaultGuard() });
    const v = describe(decide(m, parseQuery('10.10.30.110', 'value')));
    t.equal(v.verdict, 'allow');
    t.ok(v.quarantine, 'quarantined by a guard');
  });
});

const event = (attributes: unknown[], extra: Record<string, unknown> = {}) => ({
  Event: { uuid: '11111111-2222-4333-8444-555555555555', info: 'test', timestamp: '1700000000', Attribute: attributes, ...extra },
});
const attr = (type: string, value: string, extra: Record<string, unknown> = {}) => ({ type, value, to_ids: true, timestamp: '1600000000', ...extra });

t.test('composite attribute types', async (t) => {
  const report = misp(
    event([
      attr('domain|ip', 'bad-resolver.example.net|198.51.100.7'),
      attr('ip-dst|port', '198.51.100.8|8443'),
      attr('ip-src|port', '2001:db8::9|22'),
      attr('hostname|port', 'c2.example.org|4444'),
      attr('ip-dst|port', '198.51.100.10|0'),
      attr('filename|md5', 'invoice.pdf.exe|0123456789ABCDEF0123456789ABCDEF'),
      attr('filename|sha1', 'a|b.dll|0123456789abcdef0123456789abcdef01234567'),
      attr('filename|sha256', 'x.bin|0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'),
      attr('filename|sha512', `x.bin|${'ab'.repeat(64)}`),
      attr('filename|ssdeep', 'x.bin|3:abc:def'),
      attr('malware-sample', 'sample.zip|fedcba9876543210fedcba9876543210'),
    ]),
  );
  t.same(keys(report), [
    'domain:bad-resolver.example.net',
    'ipv4:198.51.100.7',
    'ipv4:198.51.100.8',
    'ipv6:2001:db8::9',
    'domain:c2.example.org',
    'ipv4:198.51.100.10',
    'md5:0123456789abcdef0123456789abcdef',
    'sha1:0123456789abcdef0123456789abcdef01234567',
    'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    'md5:fedcba9876543210fedcba9876543210',
  ]);
  const obs = report.observations;
  t.same(obs[0]!.line, 1);
  t.same(obs[1]!.line, 1, 'both halves of domain|ip point at the same attribute');
  t.same(obs[2]!.tags, ['port:8443']);
  t.same(obs[3]!.tags, ['port:22']);
  t.same(obs[4]!.tags, ['port:4444']);
  t.equal(obs[5]!.tags, undefined, 'port 0 says nothing');
  t.notOk(obs.some((o) => o.original?.includes('.exe')), 'the file name is not kept as the original text');
  t.same(report.skipped.reasons, { 'type filename|sha512': 1, 'type filename|ssdeep': 1 });
});

t.test('simple types, uri, and the types that are skipped', async (t) => {
  const report = misp(
    event([
      attr('ip-src', '203.0.113.0/24'),
      attr('ip-dst', '192.0.2.1'),
      attr('hostname', 'WWW.Example.COM.'),
      attr('url', 'hxxp://bad[.]example[.]com/gate.php'),
      attr('uri', '/gate.php'),
      attr('uri', 'https://cdn.example.net/x.js'),
      attr('sha256', '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'),
      attr('email-src', 'someone@example.com'),
      attr('regkey', 'HKLM\\Software\\Run'),
      attr('link', 'https://blog.example.com/report'),
      attr('vulnerability', 'CVE-2017-0199'),
      attr('sha512', 'ab'.repeat(64)),
      attr('no-such-type', 'x'),
      { value: 'no type at all', to_ids: true },
    ]),
  );
  t.same(keys(report), [
    'cidr:203.0.113.0/24',
    'ipv4:192.0.2.1',
    'domain:www.example.com',
    'url:http://bad.example.com/gate.php',
    'url:https://cdn.example.net/x.js',
    'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
  ]);
  t.same(report.skipped.reasons, {
    'uri not an absolute URL': 1,
    'type email-src': 1,
    'type regkey': 1,
    'type link': 1,
    'type vulnerability': 1,
    'type sha512': 1,
    'type no-such-type': 1,
    'type (none)': 1,
  });
  t.same(report.skipped.examples.find((e) => e.reason === 'type email-src'), { line: 8, value: 'someone@example.com', reason: 'type email-src' });
});

t.test('to_ids: only flagged attributes are enforced by default, in every spelling', async (t) => {
  const doc = event([
    attr('domain', 'flag-true.example.net', { to_ids: true }),
    attr('domain', 'flag-one.example.net', { to_ids: '1' }),
    attr('domain', 'flag-num.example.net', { to_ids: 1 }),
    attr('domain', 'flag-false.example.net', { to_ids: false }),
    attr('domain', 'flag-zero.example.net', { to_ids: '0' }),
    attr('domain', 'flag-missing.example.net', { to_ids: undefined }),
    attr('domain', 'deleted.example.net', { deleted: true }),
    attr('domain', 'deleted-string.example.net', { deleted: '1' }),
  ]);
  const strict = misp(doc);
  t.same(keys(strict), ['domain:flag-true.example.net', 'domain:flag-one.example.net', 'domain:flag-num.example.net']);
  t.same(strict.skipped.reasons, { 'not to_ids': 3, deleted: 2 });

  const all = misp(doc, { misp: { to_ids_only: false } });
  t.equal(all.observations.length, 6, 'to_ids_only: false enforces unflagged attributes too');
  t.notOk(keys(all).some((k) => k.includes('deleted')), 'deleted attributes never are');
  t.same(all.skipped.reasons, { deleted: 2 });
});

t.test('objects, deleted objects, tags, TLP and galaxies on events and attributes', async (t) => {
  const report = misp(
    event(
      [
        attr('domain', 'event-tlp.example.net'),
        attr('domain', 'attr-tlp.example.net', {
          Tag: [{ name: 'tlp:red' }, { name: 'kill-chain:Delivery' }],
          Galaxy: [{ type: 'mitre-attack-pattern', GalaxyCluster: [{ value: 'Spearphishing Attachment - T1566.001', meta: {} }] }],
        }),
        attr('domain', 'first-seen.example.net', { first_seen: '2021-03-04T05:06:07.123456+00:00' }),
      ],
      {
        Tag: [{ name: 'tlp:amber' }, { name: 'type:OSINT' }, { name: 'misp-galaxy:malpedia="Emotet"' }, { name: 'misp-galaxy:mitre-attack-pattern="Phishing - T1566"' }],
        Galaxy: [{ type: 'threat-actor', GalaxyCluster: [{ value: 'TA542', meta: { external_id: ['G0000-not-attack'] } }] }],
        Object: [
          { name: 'domain-ip', Attribute: [attr('domain', 'in-object.example.net'), attr('ip-dst', '198.51.100.77')] },
          { name: 'domain-ip', deleted: true, Attribute: [attr('domain', 'in-deleted-object.example.net')] },
        ],
      },
    ),
  );
  t.same(keys(report), [
    'domain:event-tlp.example.net',
    'domain:attr-tlp.example.net',
    'domain:first-seen.example.net',
    'domain:in-object.example.net',
    'ipv4:198.51.100.77',
  ]);
  const [plain, marked, dated, inObject] = report.observations;
  t.equal(plain!.tlp, 'amber');
  t.equal(marked!.tlp, 'red', 'an attribute TLP beats the event TLP');
  t.same(plain!.tags, ['type:OSINT', 'misp-galaxy:malpedia="Emotet"', 'misp-galaxy:mitre-attack-pattern="Phishing - T1566"']);
  t.same(marked!.tags, [...plain!.tags!, 'kill-chain:Delivery']);
  t.same(plain!.context, [
    { kind: 'threat-actor', name: 'TA542' },
    { kind: 'malpedia', name: 'Emotet' },
    { kind: 'mitre-attack-pattern', name: 'Phishing - T1566', attack_ids: ['T1566'] },
  ]);
  t.same(marked!.context!.at(-1), { kind: 'mitre-attack-pattern', name: 'Spearphishing Attachment - T1566.001', attack_ids: ['T1566.001'] });
  t.equal(plain!.firstSeen, 1600000000, 'the attribute timestamp without first_seen');
  t.equal(dated!.firstSeen, Date.UTC(2021, 2, 4, 5, 6, 7) / 1000, 'first_seen wins');
  t.equal(inObject!.line, 4, 'object attributes are numbered after the event attributes');
  t.same(report.skipped.reasons, { deleted: 1 });
});

t.test('document shapes', async (t) => {
  const one = attr('domain', 'shape.example.net');
  const two = attr('ip-dst', '198.51.100.99');
  t.same(keys(misp(event([one]))), ['domain:shape.example.net'], '{"Event": ...}');
  t.same(keys(misp([event([one]), event([two])])), ['domain:shape.example.net', 'ipv4:198.51.100.99'], 'a list of events');
  t.same(keys(misp({ response: [event([one]), event([two])] })), ['domain:shape.example.net', 'ipv4:198.51.100.99'], 'events restSearch');
  t.same(keys(misp(event([one]).Event)), ['domain:shape.example.net'], 'an event without its wrapper');

  const attributes = misp({
    response: {
      Attribute: [
        { ...attr('domain', 'rest.example.net'), Event: { id: '7', info: 'from a server', uuid: '5a3c2fcd-8328-42bb-a95e-4f4402de0b81' }, Tag: [{ name: 'tlp:green' }] },
        { ...attr('url', 'https://rest.example.net/drop.bin'), to_ids: '1' },
        { ...attr('email-src', 'x@rest.example.net') },
        { ...attr('ip-dst', '198.51.100.5'), to_ids: '0' },
      ],
    },
  });
  t.same(keys(attributes), ['domain:rest.example.net', 'url:https://rest.example.net/drop.bin'], 'attributes restSearch');
  t.equal(attributes.observations[0]!.tlp, 'green');
  t.same(attributes.skipped.reasons, { 'type email-src': 1, 'not to_ids': 1 });
});

t.test('bad documents', async (t) => {
  t.throws(() => misp('{"Event": {"Attribute": ['), { name: 'FeedParseError', message: /^feed test: not valid JSON/ });
  t.throws(() => misp({ hello: 'world' }), /not a MISP document/);
  t.throws(() => misp({ name: 'Authentication failed.', message: 'Authentication failed. Please make sure you pass the API key', url: '/attributes/restSearch' }), /not a MISP document \(the server said: "Authentication failed/);
  t.throws(() => misp({ response: { foo: [] } }), /neither events nor attributes/);
  t.throws(() => misp('"just a string"'), /not a MISP document/);

  let caught: unknown;
  try {
    misp(event([attr('sha512', 'ab'.repeat(64)), attr('btc', '1BoatSLRHtKNngkdXEeobR76b53LETtpyT'), attr('mutex', 'Global\\x'), attr('sigma', 'title: x')]));
  } catch (err) {
    caught = err;
  }
  t.ok(caught instanceof FeedParseError, 'an event of only unenforceable types is refused as a whole');
  t.equal((caught as Error).message, 'feed test: no entries');
  const found = (caught as FeedParseError).found as ParseReport;
  t.same(found.skipped.reasons, { 'type sha512': 1, 'type btc': 1, 'type mutex': 1, 'type sigma': 1 }, 'with each skip counted by type');

  const mixed = misp(event([attr('sha512', 'ab'.repeat(64)), attr('domain', 'kept.example.net')]));
  t.same(keys(mixed), ['domain:kept.example.net'], 'an unknown type next to a known one: the event still loads');
  t.same(mixed.skipped.reasons, { 'type sha512': 1 });

  const junk = misp({ response: [event([attr('domain', 'ok.example.net')]), 42, event([null as unknown as object])] });
  t.same(keys(junk), ['domain:ok.example.net']);
  t.same(junk.invalid.reasons, { 'element 2 is not a MISP event': 1, 'attribute is not an object': 1 });
});

// --- the MISP feed collector, through the real update path --------------------------------

const EVENT_FILES = readdirSync(`${FIXTURES}${SAMPLE}`).filter((f) => /^[0-9a-f-]{36}\.json$/.test(f));
const CHANGED = '57c4445b-c548-4654-af0b-4be3950d210f';
const FAILING = '5a0a9aa9-23a4-4607-b6df-41a9950d210f';
const REMOVED = '56e12e66-f01c-41be-afea-4d9a950d210f';

interface Served {
  manifest: Record<string, { timestamp: string; [k: string]: unknown }>;
  events: Record<string, { Event: { timestamp: string; Attribute: unknown[] } }>;
}

async function feedSetup(t: Test, url: (server: FeedServer) => string) {
  const server = new FeedServer();
  await server.start();
  t.teardown(() => server.stop());
  const served: Served = {
    manifest: JSON.parse(readFileSync(`${FIXTURES}${SAMPLE}manifest.json`, 'utf8')),
    events: Object.fromEntries(EVENT_FILES.map((f) => [f.slice(0, 36), JSON.parse(readFileSync(`${FIXTURES}${SAMPLE}${f}`, 'utf8'))])),
  };
  // The real files as they are, until a test changes what is served.
  server.serveBody('/feed/manifest.json', readFileSync(`${FIXTURES}${SAMPLE}manifest.json`));
  for (const f of EVENT_FILES) server.serveBody(`/feed/${f}`, readFileSync(`${FIXTURES}${SAMPLE}${f}`));
  server.serveBody('/feed/hashes.csv', readFileSync(`${FIXTURES}${SAMPLE}hashes.csv`));
  const republish = (uuid?: string) => {
    server.serveBody('/feed/manifest.json', JSON.stringify(served.manifest));
    if (uuid) server.serveBody(`/feed/${uuid}.json`, JSON.stringify(served.events[uuid]));
  };

  const dir = mkdtempSync(join(tmpdir(), 'sluice-misp-'));
  const config = parseConfig(
    [`data_dir: ${dir}`, 'sync: { retries: 0, timeout: 2s }', 'feeds:', `  - { name: circl, url: "${url(server)}", format: misp }`].join('\n'),
    join(dir, 'sluice.yaml'),
  );
  const sets: CompiledSet[] = [];
  const syncer = new Syncer({ config, store: new MemoryStore(dir), metrics: new Metrics(), logger: silentLogger, onSet: (s) => sets.push(s) });
  t.teardown(() => syncer.stop());
  const listed = (value: string) => decide(new Matcher(sets.at(-1)!), parseQuery(value, 'value')).hit !== undefined;
  // The manifest comes first; events are fetched a few at a time, in no set order.
  const paths = () => {
    const [first, ...rest] = server.requests.splice(0).map((r) => r.path);
    return [first, ...rest.sort()];
  };
  return { server, served, republish, syncer, sets, listed, paths };
}

t.test('MISP feed over HTTP: only events whose timestamp moved are fetched again', async (t) => {
  const { served, republish, syncer, sets, listed, paths } = await feedSetup(t, (s) => s.url('/feed/'));
  await syncer.start();
  t.same(paths(), ['/feed/manifest.json', ...EVENT_FILES.map((f) => `/feed/${f}`).sort()], 'first sync: the manifest and every event, each once');
  t.equal(syncer.status()[0]!.state, 'ok');
  t.equal(syncer.status()[0]!.entries, 546, 'all seven events: 5 + 249 + 3 + 50 + 58 + 113 + 68 values');
  t.ok(listed('movieultimate.com') && listed('98.126.156.210') && listed('2f7059d7b1dda3080e391d99788fff18'));
  const version = sets.at(-1)!.meta.version;

  await syncer.syncFeed('circl');
  t.same(paths(), ['/feed/manifest.json'], 'an unchanged manifest: no event is fetched');
  t.equal(syncer.status()[0]!.state, 'ok');
  t.equal(sets.at(-1)!.meta.version, version, 'and no new set');

  // One event changes: a new attribute, one removed, a newer timestamp in both places.
  const changed = served.events[CHANGED]!;
  changed.Event.timestamp = served.manifest[CHANGED]!.timestamp = '1700000000';
  changed.Event.Attribute = changed.Event.Attribute.filter((a) => (a as { type: string }).type !== 'sha256');
  changed.Event.Attribute.push({ type: 'md5', value: '00112233445566778899aabbccddeeff', to_ids: true, timestamp: '1700000000' });
  republish(CHANGED);
  await syncer.syncFeed('circl');
  t.same(paths(), ['/feed/manifest.json', `/feed/${CHANGED}.json`], 'the manifest and only the changed event');
  t.equal(syncer.status()[0]!.entries, 546, 'one value in, one out');
  t.not(sets.at(-1)!.meta.version, version, 'a new set');
  t.ok(listed('00112233445566778899aabbccddeeff'), 'the new value is listed');
  t.notOk(listed(sha256Of(CHANGED)), 'the removed value is not');
  t.ok(listed('movieultimate.com') && listed('98.126.156.210'), 'unchanged events are kept from the last document');

  // An event leaves the manifest: nothing to fetch, its values go.
  delete served.manifest[REMOVED];
  republish();
  await syncer.syncFeed('circl');
  t.same(paths(), ['/feed/manifest.json']);
  t.equal(syncer.status()[0]!.entries, 541, 'its 5 values are gone');
  t.notOk(listed('2f7059d7b1dda3080e391d99788fff18'));
  t.ok(listed('movieultimate.com'));
});

function sha256Of(uuid: string): string {
  const event = JSON.parse(readFileSync(`${FIXTURES}${SAMPLE}${uuid}.json`, 'utf8')) as Served['events'][string];
  return (event.Event.Attribute as Array<{ type: string; value: string }>).find((a) => a.type === 'sha256')!.value;
}

t.test('MISP feed: an event that cannot be fetched fails the update and keeps the last data', async (t) => {
  const { served, republish, syncer, listed, paths, server } = await feedSetup(t, (s) => s.url('/feed/manifest.json'));
  await syncer.start();
  paths();
  t.ok(listed('www.fyoutside.com'));

  served.manifest[FAILING]!.timestamp = '1700000000';
  republish();
  server.set(`/feed/${FAILING}.json`, (_q, r) => r.writeHead(500).end('oops'));
  await syncer.syncFeed('circl');
  t.same(paths(), ['/feed/manifest.json', `/feed/${FAILING}.json`]);
  const status = syncer.status()[0]!;
  t.equal(status.state, 'failing');
  t.match(status.lastError, new RegExp(`event ${FAILING} .*HTTP 500`));
  t.equal(status.entries, 546, 'the last good data stays');
  t.ok(listed('www.fyoutside.com') && listed('98.126.156.210'), 'the failing event\'s values stay listed');

  // The event comes back: it is fetched again, since the failed update kept no new state.
  served.events[FAILING]!.Event.timestamp = '1700000000';
  republish(FAILING);
  await syncer.syncFeed('circl');
  t.same(paths(), ['/feed/manifest.json', `/feed/${FAILING}.json`]);
  t.equal(syncer.status()[0]!.state, 'ok');
});

t.test('MISP feed: a manifest that is not a manifest', async (t) => {
  const { server, syncer } = await feedSetup(t, (s) => s.url('/feed/'));
  server.serveBody('/feed/manifest.json', '[1, 2, 3]');
  await syncer.start();
  t.equal(syncer.status()[0]!.state, 'failing');
  t.match(syncer.status()[0]!.lastError, /manifest\.json is not a MISP feed manifest/);

  server.serveBody('/feed/manifest.json', JSON.stringify({ '../../etc/passwd': { timestamp: '1' } }));
  await syncer.syncFeed('circl');
  t.match(syncer.status()[0]!.lastError, /is not an event UUID/);
  t.notOk(server.requests.some((r) => r.path.includes('passwd')), 'a key that is not a UUID is never fetched');
});

t.test('MISP feed from a local folder', async (t) => {
  for (const url of [`${FIXTURES}${SAMPLE}`, `${FIXTURES}${SAMPLE}manifest.json`]) {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-misp-'));
    const config = parseConfig([`data_dir: ${dir}`, 'feeds:', `  - { name: local, url: "${url}", format: misp }`].join('\n'), join(dir, 'sluice.yaml'));
    const sets: CompiledSet[] = [];
    const syncer = new Syncer({ config, store: new MemoryStore(dir), metrics: new Metrics(), logger: silentLogger, onSet: (s) => sets.push(s) });
    t.teardown(() => syncer.stop());
    await syncer.start();
    t.equal(syncer.status()[0]!.entries, 546, url);
    t.ok(decide(new Matcher(sets.at(-1)!), parseQuery('movieultimate.com', 'value')).hit);
  }
});
