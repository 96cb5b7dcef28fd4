// Regression tests for the STIX bug reports (PUB-027, PUB-030, PUB-031): pattern compounds,
// misspelt and contradicting types, and validity and revocation. Bundles are the cases' inputs.
import t from 'tap';
import '../helpers/quiet.js';
import { feedConfig, keys, matcherFor, parseBody } from '../helpers/feeds.js';
import { ParseReport } from '../../src/feeds/parsers/index.js';
import { parseStix } from '../../src/feeds/parsers/stix/index.js';
import { parserOptions } from '../../src/feeds/update.js';
import { parseQuery } from '../../src/match/query.js';
import { decide } from '../../src/match/verdict.js';

// PUB-027: OR, AND, NOT and START/STOP patterns, and a snort indicator.
const PUB_027 = {
  type: 'bundle',
  id: 'bundle--00000000-0000-4000-8000-0000000000b1',
  objects: [
    {
      type: 'indicator', spec_version: '2.1',
      id: 'indicator--00000001-0000-4000-8000-000000000000', created: '2024-05-01T00:00:00.000Z',
      modified: '2024-05-01T00:00:00.000Z', valid_from: '2024-05-01T00:00:00Z',
      pattern_type: 'stix',
      pattern: "[ipv4-addr:value = '198.51.100.7' OR ipv4-addr:value = '198.51.100.8']"
    },
    {
      type: 'indicator', spec_version: '2.1',
      id: 'indicator--00000002-0000-4000-8000-000000000000', created: '2024-05-01T00:00:00.000Z',
      modified: '2024-05-01T00:00:00.000Z', valid_from: '2024-05-01T00:00:00Z',
      pattern_type: 'stix',
      pattern: "[domain-name:value = 'a.example.com'] OR [url:value = 'http://b.example.net/x']"
    },
    {
      type: 'indicator', spec_version: '2.1',
      id: 'indicator--00000003-0000-4000-8000-000000000000', created: '2024-05-01T00:00:00.000Z',
      modified: '2024-05-01T00:00:00.000Z', valid_from: '2024-05-01T00:00:00Z',
      pattern_type: 'stix',
      pattern: "[network-traffic:dst_ref.value = '203.0.113.5' AND network-traffic:dst_port = 8443]"
    },
    {
      type: 'indicator', spec_version: '2.1',
      id: 'indicator--00000004-0000-4000-8000-000000000000', created: '2024-05-01T00:00:00.000Z',
      modified: '2024-05-01T00:00:00.000Z', valid_from: '2024-05-01T00:00:00Z',
      pattern_type: 'stix', pattern: "[domain-name:value NOT = 'good.example.org']"
    },
    {
      type: 'indicator', spec_version: '2.1',
      id: 'indicator--00000005-0000-4000-8000-000000000000', created: '2024-05-01T00:00:00.000Z',
      modified: '2024-05-01T00:00:00.000Z', valid_from: '2024-05-01T00:00:00Z',
      pattern_type: 'stix',
      pattern: "[ipv4-addr:value = '192.0.2.44'] START t'2024-01-01T00:00:00Z' STOP t'2024-02-01T00:00:00Z'"
    },
    {
      type: 'indicator', spec_version: '2.1',
      id: 'indicator--00000006-0000-4000-8000-000000000000', created: '2024-05-01T00:00:00.000Z',
      modified: '2024-05-01T00:00:00.000Z', valid_from: '2024-05-01T00:00:00Z',
      pattern_type: 'stix', pattern: "[file:name = 'invoice.exe' AND file:size > 100000]"
    },
    {
      type: 'indicator', spec_version: '2.1',
      id: 'indicator--00000007-0000-4000-8000-000000000000', created: '2024-05-01T00:00:00.000Z',
      modified: '2024-05-01T00:00:00.000Z', valid_from: '2024-05-01T00:00:00Z',
      pattern_type: 'snort', pattern: 'alert tcp any any -> any any (msg:"x";)'
    },
  ],
};

// PUB-030: misspelt object types, values whose form contradicts their type, networks.
const PUB_030 = {
  type: 'bundle',
  id: 'bundle--00000000-0000-4000-8000-0000000000b4',
  objects: [
    {
      type: 'indicator', spec_version: '2.1',
      id: 'indicator--00000001-0000-4000-8000-000000000000', created: '2024-05-01T00:00:00.000Z',
      modified: '2024-05-01T00:00:00.000Z', valid_from: '2024-05-01T00:00:00Z',
      pattern_type: 'stix', pattern: "[ipv4addr:value = '198.51.100.30']"
    },
    {
      type: 'indicator', spec_version: '2.1',
      id: 'indicator--00000002-0000-4000-8000-000000000000', created: '2024-05-01T00:00:00.000Z',
      modified: '2024-05-01T00:00:00.000Z', valid_from: '2024-05-01T00:00:00Z',
      pattern_type: 'stix', pattern: "[domain:value = 'bad.example.com']"
    },
    {
      type: 'indicator', spec_version: '2.1',
      id: 'indicator--00000003-0000-4000-8000-000000000000', created: '2024-05-01T00:00:00.000Z',
      modified: '2024-05-01T00:00:00.000Z', valid_from: '2024-05-01T00:00:00Z',
      pattern_type: 'stix', pattern: "[domain-name:value = '198.51.100.31']"
    },
    {
      type: 'indicator', spec_version: '2.1',
      id: 'indicator--00000004-0000-4000-8000-000000000000', created: '2024-05-01T00:00:00.000Z',
      modified: '2024-05-01T00:00:00.000Z', valid_from: '2024-05-01T00:00:00Z',
      pattern_type: 'stix', pattern: "[ipv4-addr:value = '192.0.2.0/24']"
    },
    {
      type: 'indicator', spec_version: '2.1',
      id: 'indicator--00000005-0000-4000-8000-000000000000', created: '2024-05-01T00:00:00.000Z',
      modified: '2024-05-01T00:00:00.000Z', valid_from: '2024-05-01T00:00:00Z',
      pattern_type: 'stix', pattern: "[ipv6-addr:value = '2001:db8:abcd::/48']"
    },
    {
      type: 'indicator', spec_version: '2.1',
      id: 'indicator--00000006-0000-4000-8000-000000000000', created: '2024-05-01T00:00:00.000Z',
      modified: '2024-05-01T00:00:00.000Z', valid_from: '2024-05-01T00:00:00Z',
      pattern_type: 'stix', pattern: "[ipv6-addr:value = '198.51.100.32']"
    },
  ],
};

// PUB-031, first sync: plain, expired, revoked, and valid_until == valid_from.
const PUB_031_SYNC_1 = {
  type: 'bundle',
  id: 'bundle--00000000-0000-4000-8000-0000000000b5',
  objects: [
    {
      type: 'indicator', spec_version: '2.1',
      id: 'indicator--00000001-0000-4000-8000-000000000000', created: '2024-05-01T00:00:00.000Z',
      modified: '2024-05-01T00:00:00.000Z', valid_from: '2024-05-01T00:00:00Z',
      pattern_type: 'stix', pattern: "[ipv4-addr:value = '198.51.100.40']"
    },
    {
      type: 'indicator', spec_version: '2.1',
      id: 'indicator--00000002-0000-4000-8000-000000000000', created: '2024-05-01T00:00:00.000Z',
      modified: '2024-05-01T00:00:00.000Z', valid_from: '2019-01-01T00:00:00Z',
      pattern_type: 'stix', pattern: "[domain-name:value = 'old.example.com']",
      valid_until: '2020-01-02T00:00:00Z'
    },
    {
      type: 'indicator', spec_version: '2.1',
      id: 'indicator--00000003-0000-4000-8000-000000000000', created: '2024-05-01T00:00:00.000Z',
      modified: '2024-05-01T00:00:00.000Z', valid_from: '2024-05-01T00:00:00Z',
      pattern_type: 'stix', pattern: "[domain-name:value = 'gone.example.com']", revoked: true
    },
    {
      type: 'indicator', spec_version: '2.1',
      id: 'indicator--00000004-0000-4000-8000-000000000000', created: '2024-05-01T00:00:00.000Z',
      modified: '2024-05-01T00:00:00.000Z', valid_from: '2024-05-01T00:00:00Z',
      pattern_type: 'stix', pattern: "[domain-name:value = 'same.example.com']",
      valid_until: '2024-05-01T00:00:00Z'
    },
  ],
};

// PUB-031, second sync: a newer version of indicator 1, revoked.
const PUB_031_SYNC_2 = {
  type: 'bundle',
  id: 'bundle--00000000-0000-4000-8000-0000000000b6',
  objects: [
    {
      type: 'indicator', spec_version: '2.1',
      id: 'indicator--00000001-0000-4000-8000-000000000000', created: '2024-05-01T00:00:00.000Z',
      modified: '2024-06-01T00:00:00.000Z', valid_from: '2024-05-01T00:00:00Z',
      pattern_type: 'stix', pattern: "[ipv4-addr:value = '198.51.100.40']", revoked: true
    },
  ],
};

/** parseStix alone at a given time: what it enforced and reported, before any error budget. */
function parseAt(bundle: unknown, now: number): ParseReport {
  const report = new ParseReport();
  parseStix(JSON.stringify(bundle), parserOptions(feedConfig({ format: 'stix' }), now), report);
  return report;
}

const at = (iso: string) => Date.parse(iso) / 1000;

t.test('PUB-027: OR compounds are split, AND/NOT/qualifiers are never widened', async (t) => {
  const report = parseBody(JSON.stringify(PUB_027), { format: 'stix' });
  t.same(keys(report), [
    'ipv4:198.51.100.7',
    'ipv4:198.51.100.8',
    'domain:a.example.com',
    'url:http://b.example.net/x',
    'ipv4:203.0.113.5',
  ]);

  const dest = report.observations.find((o) => o.value === '203.0.113.5')!;
  t.same(dest.tags, ['port:8443'], '#3 carries its port');
  t.equal(report.invalid.count, 0, 'no object fails');
  t.same(report.skipped.reasons, {
    'port constraint dropped': 1,
    'negation (NOT) not supported': 1,
    'outside its START/STOP window': 1,
    'AND of comparisons not supported': 1,
    'pattern_type snort not supported': 1,
  });
  t.same(
    report.skipped.examples.map((e) => [e.line, e.value.slice(0, 47)]),
    [3, 4, 5, 6, 7].map((n) => [n, `indicator--0000000${n}-0000-4000-8000-000000000000`]),
    'each names its indicator',
  );

  const m = matcherFor([{ name: 'stix', format: 'stix', body: JSON.stringify(PUB_027) }]);
  for (const absent of ['good.example.org', '192.0.2.44']) {
    t.equal(decide(m, parseQuery(absent, 'value')).hit, undefined, `${absent} is not listed`);
  }
});

t.test('PUB-027 #5: START/STOP is enforced inside its window only, until STOP', async (t) => {
  const inside = parseAt(PUB_027, at('2024-01-15T00:00:00Z'));
  // valid_from (2024-05-01) is after that day: the indicator is not valid yet, window or not.
  t.notOk(keys(inside).includes('ipv4:192.0.2.44'));

  const early = { ...PUB_027, objects: PUB_027.objects.map((o) => ({ ...o, valid_from: '2023-12-01T00:00:00Z' })) };
  const open = parseAt(early, at('2024-01-15T00:00:00Z'));
  t.equal(open.observations.find((o) => o.value === '192.0.2.44')?.validUntil, at('2024-02-01T00:00:00Z'));
  t.notOk(keys(parseAt(early, at('2024-02-01T00:00:00Z'))).includes('ipv4:192.0.2.44'), 'STOP is exclusive');
});

t.test('PUB-030: misspelt types are skipped, contradicting forms retyped with a warning', async (t) => {
  const report = parseBody(JSON.stringify(PUB_030), { format: 'stix' });
  t.same(keys(report), ['ipv4:198.51.100.31', 'cidr:192.0.2.0/24', 'cidr:2001:db8:abcd::/48', 'ipv4:198.51.100.32']);
  t.same(report.skipped.reasons, { 'unknown object type ipv4addr': 1, 'unknown object type domain': 1 });
  t.same(report.adjusted.reasons, {
    'domain-name value is an IPv4 address': 1,
    'ipv6-addr value is an IPv4 address': 1,
  });
  t.equal(report.invalid.count, 0);
  t.notOk(report.observations.some((o) => o.type === 'domain' || o.type === 'ipv6'), 'nothing stored as a name or IPv6');
});

t.test('PUB-031: expired and revoked are not enforced, a bad window does not wipe a value', async (t) => {
  const report = parseBody(JSON.stringify(PUB_031_SYNC_1), { format: 'stix' });
  t.same(keys(report), ['ipv4:198.51.100.40', 'domain:same.example.com']);
  for (const o of report.observations) t.equal(o.validUntil, undefined, `${o.value}: no explicit expiry`);
  t.same(report.skipped.reasons, { 'expired (valid_until passed)': 1, revoked: 1 });
  t.same(report.skipped.examples.map((e) => e.value), [
    'indicator--00000002-0000-4000-8000-000000000000',
    'indicator--00000003-0000-4000-8000-000000000000',
  ]);
  t.same(report.adjusted.examples, [
    {
      line: 4,
      value: 'indicator--00000004-0000-4000-8000-000000000000',
      reason: 'invalid validity window (valid_until not after valid_from): valid_until ignored',
    },
  ]);
  t.equal(report.invalid.count, 0, 'the producer bug is not counted against the error budget');
});

t.test('PUB-031: a newer revoked version removes this feed as a source, the other feed stays', async (t) => {
  const other = { name: 'other_feed', format: 'text', body: '198.51.100.40\n' };
  const sources = (body: unknown) => {
    const m = matcherFor([{ name: 'stix_feed', format: 'stix', body: JSON.stringify(body) }, other]);
    const hit = decide(m, parseQuery('198.51.100.40', 'value')).hit;
    return hit ? m.entryFeeds(hit.entry) : [];
  };
  t.same(sources(PUB_031_SYNC_1).sort(), ['other_feed', 'stix_feed'], 'after sync 1: both feeds');

  // A TAXII collection keeps every version it was sent; the gathered bundle holds both.
  const collection = { ...PUB_031_SYNC_2, objects: [...PUB_031_SYNC_1.objects, ...PUB_031_SYNC_2.objects] };
  t.same(sources(collection), ['other_feed'], 'after sync 2: the other feed only');

  // The revocation alone: nothing left to enforce, and the revocation counted.
  const alone = parseAt(PUB_031_SYNC_2, at('2026-06-01T00:00:00Z'));
  t.equal(alone.list.size, 0);
  t.same(alone.skipped.reasons, { revoked: 1 });
  // Through the whole pipeline (error budget included) the revocation is an update, not garbage:
  // a sync that sends only it leaves the address to the other feed.
  t.same(sources(PUB_031_SYNC_2), ['other_feed'], 'sync 2 on its own: the other feed only');
  // A bundle of patterns sluice cannot read is still refused, never taken for an empty feed.
  const unreadable = { ...PUB_031_SYNC_2, objects: [{ ...PUB_031_SYNC_2.objects[0], revoked: false, pattern: "[file:name = 'x.exe']" }] };
  t.throws(() => parseBody(JSON.stringify(unreadable), { format: 'stix' }), /no entries/);
});
