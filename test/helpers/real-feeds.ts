// The real feed fixtures of test/fixtures/feeds, each read the way its format needs, for tests
// that load them all together.
import { readdirSync, readFileSync } from 'node:fs';
import { fixture, FIXTURES, type TestFeed } from './feeds.js';

const THREATFOX = {
  format: 'json',
  json: { path: 'iocs', field: 'ioc', type_field: 'type', confidence_field: 'confidence', tag_fields: ['malware'] },
};

/**
 * urlhaus-filter's Splunk lookup splits each entry into a "host" and a "path" column, and
 * sluice's CSV reader takes one value column. Reading the host column of every row would turn
 * each URL rule into a block of its whole host (bitbucket.org, cdn.jsdelivr.net: the very
 * over-blocking the feed avoids by giving a path), so only the rows with an empty path - the
 * feed's host-level entries - are loaded. The URL rows are the same URLs as
 * urlhaus-filter-online.txt, which is loaded in full.
 */
function splunkHostRows(body: Buffer): Buffer {
  const lines = body.toString('utf8').split('\n');
  const kept = lines.filter((line) => line.startsWith('#') || line.startsWith('"host"') || /^"[^"]*",""/.test(line));
  return Buffer.from(kept.join('\n'), 'utf8');
}

/** Each fixture with the format and options test/feeds/parsers/formats.test.ts reads it with. */
interface FeedOptions {
  format: string;
  type?: string;
  csv?: Record<string, unknown>;
  json?: Record<string, unknown>;
  /** What to read of the file, when not all of it (see splunkHostRows). */
  transform?: (body: Buffer) => Buffer;
}

export const FEEDS: Record<string, FeedOptions> = {
  'adaway-hosts.txt': { format: 'hosts' },
  'blocklistproject-ransomware.txt': { format: 'hosts' },
  'fademind-add.2o7Net-hosts-crlf.txt': { format: 'hosts' },
  'feodotracker-ipblocklist.csv': {
    format: 'csv',
    csv: { column: 'dst_ip', tag_columns: ['malware'], first_seen_column: 'first_seen_utc' },
  },
  'ipsum_level8.txt': { format: 'text', type: 'ip' },
  // A list of bogon ranges, not of threats: exactly what a careless feed config would enforce,
  // so it is loaded to show the guards catch it (its documentation ranges stay enforceable).
  'maltrail-bogon_ranges.txt': { format: 'text' },
  'maltrail-ligolo_tunnel.txt': { format: 'text' },
  'maltrail-mass_scanner_cidr.txt': { format: 'text' },
  'minemeld-IPv4-ranges.lst': { format: 'text' },
  'minemeld-domain-carbonblack.json': { format: 'json', json: { path: 'reports.*.iocs.dns' } },
  'minemeld-ipv4-json-seq.json': {
    format: 'json',
    json: { confidence_field: 'value.confidence', first_seen_field: 'value.first_seen' },
  },
  'suricata-iprep-data-cr-lf.txt': { format: 'csv', csv: { column: 0 } },
  'suricata-iprep-data-cr.txt': { format: 'csv', csv: { column: 0 } },
  'threatfox-defanged-20260711T1230.json': THREATFOX,
  'threatfox-defanged-20260822T2125.json': THREATFOX,
  'urlhaus-filter-agh-online.txt': { format: 'adblock' },
  'urlhaus-filter-domains-online.txt': { format: 'text' },
  'urlhaus-filter-online.txt': { format: 'adblock' },
  'urlhaus-filter-splunk-online.csv': { format: 'csv', csv: { column: 'host' }, transform: splunkHostRows },
  'urlhaus-filter-wildcard-online.txt': { format: 'text' },
  'urlhaus-online-2025-04-21-first500.csv': { format: 'csv', csv: { column: 'url' } },
  'urlhaus-online-banner-excerpt-2026-08-18.csv': { format: 'csv', csv: { column: 'url', tag_columns: ['tags'] } },
};

export const files = readdirSync(`${FIXTURES}feeds`).sort();
export const feeds: TestFeed[] = files
  .filter((file) => FEEDS[file])
  .map((file) => {
    const { transform, ...options } = FEEDS[file]!;
    const raw = fixture(`feeds/${file}`);
    return { name: file.slice(0, 64), body: transform ? transform(raw) : raw, ...options };
  });


/** Names of the Majestic CSV: the Domain column, or IDN_Domain where Domain is broken (".com"). */
export function majesticNames(): string[] {
  const [header, ...rows] = readFileSync(`${FIXTURES}topsites/majestic_million-top10k.csv`, 'utf8').trim().split('\n');
  const columns = header!.split(',');
  const domain = columns.indexOf('Domain');
  const idn = columns.indexOf('IDN_Domain');
  return rows.map((row) => {
    const cells = row.split(',');
    const name = cells[domain]!.trim();
    return name.startsWith('.') ? cells[idn]!.trim() : name;
  });
}

export function trancoNames(): string[] {
  return readFileSync(`${FIXTURES}topsites/tranco-top10k-from-misp-warninglist.txt`, 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

