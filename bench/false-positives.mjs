// False-positive benchmark: every real feed file under a folder, loaded into one set the way the
// syncer builds it (default config: bundled warninglists, /8 and /32 floors, special-use ranges),
// then checked against top-site lists. Prints how much the blast-radius guards hold back, and
// fails (exit 1) if any top site would be blocked, any special-use value is enforced, or any
// enforceable entry does not block on its own value.
//
// Usage: npm run build && node bench/false-positives.mjs [FEEDS_DIR] [TOPSITES_DIR]
//   FEEDS_DIR     default ../shared/data/feeds (relative to the repository)
//   TOPSITES_DIR  default ../shared/data/topsites (relative to the repository)
// Each subfolder of FEEDS_DIR names the format of its files (text, hosts, adblock, csv, json);
// files in other subfolders (rpz, dnsconf, stix, misp) have no parser and are skipped with a note.
// Known files get the options test/feeds/parsers/formats.test.ts reads them with. Top-site
// files: *.txt one name a line; *.csv with a Domain column (Majestic), or rank,domain (Tranco).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { BlockList } from 'node:net';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configSchema, feedSchema } from '../dist/config/schema.js';
import { parseFeedBody } from '../dist/feeds/update.js';
import { guardFromSettings } from '../dist/guards/index.js';
import { buildIndicatorSet } from '../dist/indicators/build.js';
import { compileSet } from '../dist/match/compile.js';
import { Matcher } from '../dist/match/matcher.js';
import { parseQuery } from '../dist/match/query.js';
import { decide } from '../dist/match/verdict.js';
import { fmt } from './common.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const feedsDir = resolve(REPO, args[0] ?? '../shared/data/feeds');
const topsitesDir = resolve(REPO, args[1] ?? '../shared/data/topsites');

const NOW = 1_700_000_000;
const POLICY = { block_at: 70, monitor_at: 40 };
const FORMATS = new Set(['text', 'hosts', 'adblock', 'csv', 'json']);

const THREATFOX = {
  json: { path: 'iocs', field: 'ioc', type_field: 'type', confidence_field: 'confidence', tag_fields: ['malware'] },
};

/**
 * urlhaus-filter's Splunk lookup splits each entry into "host" and "path" columns; the CSV reader
 * takes one value column, and the host of a URL row is a shared host (bitbucket.org), not the
 * threat. Only the host-level rows (empty path) are read; the URL rows are urlhaus-filter's
 * adblock list, read in full.
 */
function splunkHostRows(body) {
  const lines = body.toString('utf8').split('\n');
  return Buffer.from(lines.filter((l) => l.startsWith('#') || l.startsWith('"host"') || /^"[^"]*",""/.test(l)).join('\n'));
}

/** Options by file name, first match wins; `skip` says why a file is not a feed. */
const KNOWN = [
  [/^feodotracker-ipblocklist\.csv$/, { csv: { column: 'dst_ip', tag_columns: ['malware'], first_seen_column: 'first_seen_utc' } }],
  [/^suricata-iprep-categories\.txt$/, { skip: 'Suricata iprep category table (id,name,description), not indicators' }],
  [/^suricata-iprep-data/, { csv: { column: 0 } }],
  [/^minemeld-ipv4\.csv$/, { csv: { column: 'clientip', confidence_column: 'confidence' } }],
  [/^urlhaus-filter-splunk/, { csv: { column: 'host' }, transform: splunkHostRows, note: 'host-level rows only' }],
  [/^urlhaus-online-banner/, { csv: { column: 'url', tag_columns: ['tags'] } }],
  [/^urlhaus-online/, { csv: { column: 'url' } }],
  [/^threatfox-/, THREATFOX],
  [/^minemeld-domain-carbonblack\.json$/, { json: { path: 'reports.*.iocs.dns' } }],
  [/^minemeld-ipv4-json-seq\.json$/, { json: { confidence_field: 'value.confidence', first_seen_field: 'value.first_seen' } }],
];

function optionsFor(file) {
  for (const [re, options] of KNOWN) if (re.test(file)) return options;
  return {};
}

function filesUnder(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

// --- load and parse every feed ----------------------------------------------------------------
const loaded = [];
const notes = [];
/** Files in folders without a parser, counted per folder rather than listed one by one. */
const unparsed = {};
let valuesParsed = 0;
let invalid = 0;
const tParse = performance.now();
for (const path of filesUnder(feedsDir)) {
  const rel = relative(feedsDir, path);
  const folder = rel.split('/')[0];
  const file = basename(path);
  if (!FORMATS.has(folder)) {
    unparsed[folder] = (unparsed[folder] ?? 0) + 1;
    continue;
  }
  const { skip, transform, note, ...options } = optionsFor(file);
  if (skip) {
    notes.push(`skipped ${rel}: ${skip}`);
    continue;
  }
  const name = `${folder}-${file}`.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64);
  try {
    const feed = feedSchema.parse({ name, url: path, format: folder, ...options });
    const raw = readFileSync(path);
    const report = parseFeedBody(feed, transform ? transform(raw) : raw, undefined, 0.5);
    valuesParsed += report.list.size;
    invalid += report.invalid.count;
    loaded.push({ rel, name, feed, report });
    if (note) notes.push(`${rel}: ${note}`);
  } catch (err) {
    notes.push(`skipped ${rel}: cannot parse it as ${folder}: ${err.message.split('\n')[0]}`);
  }
}
const parseMs = performance.now() - tParse;
for (const [folder, n] of Object.entries(unparsed)) notes.push(`skipped ${n} file(s) under ${folder}/: sluice has no parser for that format`);
const skippedFiles = notes.filter((n) => n.startsWith('skipped')).length - Object.keys(unparsed).length +
  Object.values(unparsed).reduce((a, b) => a + b, 0);

// --- one guarded set ----------------------------------------------------------------------------
const tBuild = performance.now();
const guard = guardFromSettings(configSchema.parse({}));
const { set, held: heldByFeed } = buildIndicatorSet({
  version: 1,
  now: NOW,
  policy: POLICY,
  feeds: loaded.map((l) => ({ feed: l.name, confidence: l.feed.confidence, listedAt: NOW, observations: l.report.list })),
  allowlists: [],
  guard,
});
const matcher = new Matcher(compileSet(set));
const buildMs = performance.now() - tBuild;

// --- counts from the set, and each enforceable entry asked about its own value ------------------
const ownQuery = (type, value) => {
  if (type === 'domain') return [value, 'domain'];
  if (type === 'ipv4' || type === 'ipv6') return [value, 'ip'];
  if (type === 'cidr') return [value.split('/')[0], 'ip'];
  if (type === 'url') return [value, 'url'];
  return [value, 'hash'];
};

const entries = matcher.size;
const byGuard = {};
const byType = {};
let held = 0;
let warned = 0;
let allowed = 0;
let below = 0;
let monitorOnly = 0;
let blocking = 0;
const notBlocking = [];
for (let e = 0; e < entries; e++) {
  const type = matcher.entryType(e);
  const row = (byType[type] ??= { entries: 0, held: 0, blocking: 0 });
  row.entries++;
  if (matcher.entryWarned(e)) warned++;
  if (matcher.entryAllowed(e)) {
    allowed++;
    continue;
  }
  if (matcher.entryHeld(e)) {
    held++;
    row.held++;
    const g = matcher.entryDetail(e).held?.guard ?? '(none recorded)';
    byGuard[g] = (byGuard[g] ?? 0) + 1;
    continue;
  }
  if (matcher.entryScore(e) < POLICY.block_at) {
    below++;
    continue;
  }
  if (matcher.entryMonitorOnly(e)) {
    monitorOnly++;
    continue;
  }
  const value = matcher.entryValue(e);
  const [asked, kind] = ownQuery(type, value);
  let verdict;
  try {
    verdict = decide(matcher, parseQuery(asked, kind)).verdict;
  } catch (err) {
    verdict = `error: ${err.message}`;
  }
  if (verdict === 'block') {
    blocking++;
    row.blocking++;
  } else notBlocking.push(`${type}:${value} -> ${verdict}`);
}

// --- special-use space, written out here rather than taken from src/guards ----------------------
const SPECIAL = [
  ['0.0.0.0', 8, 'ipv4'], ['10.0.0.0', 8, 'ipv4'], ['100.64.0.0', 10, 'ipv4'], ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'], ['172.16.0.0', 12, 'ipv4'], ['192.0.0.0', 24, 'ipv4'], ['192.168.0.0', 16, 'ipv4'],
  ['198.18.0.0', 15, 'ipv4'], ['224.0.0.0', 4, 'ipv4'], ['240.0.0.0', 4, 'ipv4'],
  ['::', 128, 'ipv6'], ['::1', 128, 'ipv6'], ['100::', 64, 'ipv6'], ['fc00::', 7, 'ipv6'], ['fe80::', 10, 'ipv6'], ['ff00::', 8, 'ipv6'],
];
const special = new BlockList();
for (const [net, prefix, family] of SPECIAL) special.addSubnet(net, prefix, family);
const familyOf = (a) => (a.includes(':') ? 'ipv6' : 'ipv4');
function touchesSpecial(type, value) {
  if (type !== 'cidr') return special.check(value, familyOf(value));
  const [net, prefix] = value.split('/');
  const family = familyOf(net);
  if (special.check(net, family)) return true;
  const own = new BlockList();
  own.addSubnet(net, Number(prefix), family);
  return SPECIAL.some(([start, , f]) => f === family && own.check(start, f));
}
let specialListed = 0;
const specialEnforced = [];
for (let e = 0; e < entries; e++) {
  const type = matcher.entryType(e);
  if (type !== 'ipv4' && type !== 'ipv6' && type !== 'cidr') continue;
  const value = matcher.entryValue(e);
  if (!touchesSpecial(type, value)) continue;
  specialListed++;
  if (!matcher.entryHeld(e) && !matcher.entryAllowed(e)) specialEnforced.push(`${type}:${value}`);
}

// --- top sites ---------------------------------------------------------------------------------
function topsiteNames(path) {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (!path.endsWith('.csv')) return lines;
  const header = lines[0].split(',').map((c) => c.trim().toLowerCase());
  let column = header.indexOf('domain');
  const idn = header.indexOf('idn_domain');
  const rows = column >= 0 ? lines.slice(1) : lines;
  if (column < 0) column = /^\d+$/.test(header[0]) ? 1 : 0;
  return rows.map((row) => {
    const cells = row.split(',');
    const name = (cells[column] ?? '').trim();
    // Majestic rank 114 reads ".com" in Domain and weebly.com in IDN_Domain.
    return name.startsWith('.') && idn >= 0 ? (cells[idn] ?? '').trim() : name;
  });
}

const topsites = [];
let topsitesBlocked = 0;
for (const path of filesUnder(topsitesDir).filter((p) => /\.(txt|csv)$/.test(p))) {
  const names = topsiteNames(path);
  const row = { file: relative(topsitesDir, path), names: names.length, blocked: [], held: 0, unreadable: 0 };
  for (const name of names) {
    let query;
    try {
      query = parseQuery(name, 'value');
    } catch {
      row.unreadable++;
      continue;
    }
    const d = decide(matcher, query);
    if (d.verdict === 'block') row.blocked.push(`${name} (${matcher.entryValue(d.hit.entry)})`);
    else if (d.hit?.held) row.held++;
  }
  topsitesBlocked += row.blocked.length;
  topsites.push(row);
}

// --- report ------------------------------------------------------------------------------------
const pct = (n, of = entries) => `${fmt((100 * n) / Math.max(of, 1), 1)}%`;
const line = (label, value, extra = '') => console.log(`${label.padEnd(30)} ${String(value).padStart(10)}${extra ? `   ${extra}` : ''}`);

console.log(`false-positive benchmark, node ${process.version}`);
console.log(`feeds:    ${feedsDir}`);
console.log(`topsites: ${topsitesDir}`);
console.log('');
for (const n of notes) console.log(`note: ${n}`);
console.log('');
line('feeds loaded', fmt(loaded.length), `${skippedFiles} files skipped`);
line('values parsed', fmt(valuesParsed), `${fmt(parseMs)} ms to parse`);
line('invalid values', fmt(invalid), pct(invalid, valuesParsed + invalid) + ' of values read');
line('entries', fmt(entries), `${fmt(buildMs)} ms to build, guard and compile`);
line('held by the guards', fmt(held), `${pct(held)} of entries`);
for (const [g, n] of Object.entries(byGuard).sort((a, b) => b[1] - a[1])) line(`  ${g}`, fmt(n), pct(n));
line('warned (enforced, flagged)', fmt(warned), pct(warned));
line('allowed', fmt(allowed), pct(allowed));
line('below block_at', fmt(below), pct(below));
line('monitor only', fmt(monitorOnly), pct(monitorOnly));
line('blocking', fmt(blocking), pct(blocking));
console.log('');
console.log('type       entries      held   blocking   held share');
for (const [type, r] of Object.entries(byType)) {
  console.log(`${type.padEnd(8)} ${fmt(r.entries).padStart(9)} ${fmt(r.held).padStart(9)} ${fmt(r.blocking).padStart(10)}   ${pct(r.held, r.entries).padStart(10)}`);
}
console.log('');
console.log('held per feed (guard: count)');
for (const [feed, r] of [...heldByFeed.entries()].sort((a, b) => b[1].count - a[1].count)) {
  const guards = Object.entries(r.byGuard).map(([g, n]) => `${g}: ${fmt(n)}`).join(', ');
  console.log(`  ${feed.padEnd(50)} ${fmt(r.count).padStart(7)}  (${guards})`);
  console.log(`    e.g. ${r.examples.slice(0, 3).map((x) => x.detail).join('; ')}`);
}
console.log('');
line('special-use entries listed', fmt(specialListed), 'all must be held');
line('special-use entries enforced', fmt(specialEnforced.length), specialEnforced.slice(0, 5).join(', '));
line('enforceable, not blocking', fmt(notBlocking.length), notBlocking.slice(0, 5).join(', '));
console.log('');
for (const r of topsites) {
  console.log(`top sites ${r.file}: ${fmt(r.names)} names, blocked ${r.blocked.length} (must be 0), ` +
    `listed by a feed but held ${fmt(r.held)}, unreadable ${r.unreadable}`);
  for (const b of r.blocked.slice(0, 10)) console.log(`  BLOCKED ${b}`);
}
line('top sites blocked', fmt(topsitesBlocked), 'must be 0');

if (topsitesBlocked || specialEnforced.length || notBlocking.length || !topsites.length) {
  console.error('MISMATCH: top sites blocked, special-use space enforced, or enforceable entries not blocking' +
    (topsites.length ? '' : ' (no top-site files found)'));
  process.exit(1);
}
