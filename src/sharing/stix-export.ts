import { createHash } from 'node:crypto';
import type { Matcher } from '../match/matcher.js';
import { entryTlp, mayShare, TLP_MARKINGS, type Tlp } from './tlp.js';

/** sluice's namespace for deterministic STIX ids: the same indicator keeps its id across versions. */
const NAMESPACE = 'sluice-indicator';

export interface StixIndicator {
  type: 'indicator';
  spec_version: '2.1';
  id: string;
  created: string;
  modified: string;
  name: string;
  indicator_types: string[];
  pattern: string;
  pattern_type: 'stix';
  valid_from: string;
  confidence: number;
  labels?: string[];
  object_marking_refs: string[];
}

/** An entry as a STIX indicator, with the TLP it may be shared under and when it was added. */
export interface SharedIndicator {
  object: StixIndicator;
  tlp: Tlp;
  /** When sluice first saw it: the TAXII date_added. */
  added: string;
}

const iso = (s: number) => new Date(s * 1000).toISOString();

/** STIX string literal: quotes and backslashes escaped (STIX 2.1 patterning, 9.3). */
function literal(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function patternOf(type: string, value: string): string | undefined {
  switch (type) {
    case 'ipv4':
      return `[ipv4-addr:value = ${literal(value)}]`;
    case 'ipv6':
      return `[ipv6-addr:value = ${literal(value)}]`;
    case 'cidr':
      return value.includes(':') ? `[ipv6-addr:value ISSUBSET ${literal(value)}]` : `[ipv4-addr:value ISSUBSET ${literal(value)}]`;
    case 'domain':
      return `[domain-name:value = ${literal(value)}]`;
    case 'url':
      return `[url:value = ${literal(value)}]`;
    case 'md5':
      return `[file:hashes.MD5 = ${literal(value)}]`;
    case 'sha1':
      return `[file:hashes.'SHA-1' = ${literal(value)}]`;
    case 'sha256':
      return `[file:hashes.'SHA-256' = ${literal(value)}]`;
    default:
      return undefined;
  }
}

/** A UUIDv5-shaped id from a name: the same name always gives the same id. */
export function stableUuid(name: string): string {
  const h = createHash('sha1').update(name).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** An indicator's STIX id, stable across versions. */
function stableId(name: string): string {
  return `indicator--${stableUuid(`${NAMESPACE}:${name}`)}`;
}

export function toStix(matcher: Matcher, entry: number): SharedIndicator | undefined {
  const type = matcher.entryType(entry);
  const value = matcher.entryValue(entry);
  const pattern = patternOf(type, value);
  if (!pattern) return undefined;
  const detail = matcher.entryDetail(entry);
  const first = Math.min(...detail.sources.map((s) => s.firstSeen));
  const last = Math.max(...detail.sources.map((s) => s.lastSeen));
  const tlp = entryTlp(detail.sources.map((s) => s.tlp));
  const tags = [...new Set(detail.sources.flatMap((s) => s.tags ?? []))];
  const object: StixIndicator = {
    type: 'indicator',
    spec_version: '2.1',
    id: stableId(`${type}:${value}`),
    created: iso(first),
    modified: iso(Math.max(first, last)),
    name: value,
    indicator_types: ['malicious-activity'],
    pattern,
    pattern_type: 'stix',
    valid_from: iso(first),
    confidence: matcher.entryScore(entry),
    object_marking_refs: [TLP_MARKINGS[tlp].id],
  };
  if (tags.length) object.labels = tags;
  return { object, tlp, added: iso(first) };
}

/** The marking-definition objects for the TLPs used, so a consumer needs no outside knowledge. */
export function markingObjects(tlps: Iterable<Tlp>): object[] {
  return [...new Set(tlps)].map((tlp) => ({
    type: 'marking-definition',
    spec_version: '2.1',
    id: TLP_MARKINGS[tlp].id,
    created: '2022-10-01T00:00:00.000Z',
    name: TLP_MARKINGS[tlp].name,
    extensions: { 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d': { extension_type: 'property-extension', tlp_2_0: tlp } },
  }));
}

/** A STIX 2.1 bundle of the given entries (shared under at most `ceiling`; RED never). */
export function renderStixBundle(entries: readonly number[], matcher: Matcher, ceiling = 'amber+strict'): string {
  const shared = entries.map((e) => toStix(matcher, e)).filter((s): s is SharedIndicator => s !== undefined && mayShare(s.tlp, ceiling));
  const objects = [...markingObjects(shared.map((s) => s.tlp)), ...shared.map((s) => s.object)];
  const id = `bundle--${stableUuid(`${NAMESPACE}:bundle:${matcher.version}:${entries.length}`)}`;
  return `${JSON.stringify({ type: 'bundle', id, objects })}\n`;
}
