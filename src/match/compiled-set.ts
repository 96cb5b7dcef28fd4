import type { AllowRecord, GuardNote, Policy, SourceRecord } from '../indicators/set.js';
import type { ThreatContext } from '../indicators/types.js';

export type { GuardNote };
import type { Ipv4RangeArrays } from './cidr/ipv4-ranges.js';
import type { Ipv6RangeArrays } from './cidr/ipv6-ranges.js';
import type { TableArrays } from './table/string-table.js';

/** Entry flag bits. */
export const FLAG_ALLOW = 1;
export const FLAG_EXACT_ONLY = 2;
/** Quarantined by a guard: kept for explain, never enforced. */
export const FLAG_HELD = 4;
/** On a warninglist in warn mode: enforced, and the verdict says so. */
export const FLAG_WARN = 8;
/** Only monitor-mode feeds reach block_at: the verdict is monitor at most. */
export const FLAG_NO_BLOCK = 16;

/**
 * A set version compiled for lookups: typed arrays only, so it can be written to disk or
 * Redis as bytes and read back (or shared with other threads) without rebuilding anything.
 *
 * Entry i has type types[i] (TYPE_CODE), flags, score, and its canonical text in the string
 * table's key bytes. Its provenance is a small JSON document in details, decoded only when a
 * lookup matches it and someone asks why.
 */
export interface CompiledSet {
  meta: CompiledMeta;
  types: Uint8Array;
  flags: Uint8Array;
  scores: Uint8Array;
  /** Index into meta.feedSets: which feeds list entry i. */
  feedSets: Uint32Array;
  table: TableArrays;
  detailOffsets: Uint32Array;
  detailBytes: Uint8Array;
  bloomBits: Uint8Array;
  block4: Ipv4RangeArrays;
  allow4: Ipv4RangeArrays;
  block6: Ipv6RangeArrays;
  allow6: Ipv6RangeArrays;
}

export interface CompiledMeta {
  version: number;
  createdAt: number;
  policy: Policy;
  entries: number;
  /** Feed and list names referred to by index from details and feedSets. */
  names: string[];
  feedSets: number[][];
  bloom: { size: number; hashes: number };
  /** Indicator count per type, for the sluice_indicators gauge. */
  counts: Record<string, number>;
}

/** Provenance of one entry as stored in details. */
export interface EntryDetail {
  sources: SourceRecord[];
  allow: AllowRecord[];
  held?: GuardNote;
  warnings?: GuardNote[];
}

type StoredExtra = { t?: string[]; l?: number; o?: string; c?: ThreatContext[]; p?: string; u?: number };
type StoredSource = [number, number, number, number, StoredExtra?];
type StoredAllow = [number, number?, string?];

/** Compact JSON for one entry; feed names become indexes into `names`. */
export function encodeDetail(detail: EntryDetail, nameIndex: (name: string) => number): string {
  const plain = detail.allow.length === 0 && !detail.held && !detail.warnings?.length;
  const only = plain && detail.sources.length === 1 ? detail.sources[0]! : undefined;
  if (only && !only.tags?.length && only.original === undefined && !only.context && only.tlp === undefined && only.validUntil === undefined) {
    // The common entry: one plain source. Written directly; it is most of a large set.
    const line = only.line === undefined ? '' : `,{"l":${only.line}}`;
    return `{"s":[[${nameIndex(only.feed)},${only.confidence},${only.firstSeen},${only.lastSeen}${line}]]}`;
  }
  const s: StoredSource[] = detail.sources.map((src) => {
    const extra: StoredExtra = {};
    if (src.tags?.length) extra.t = src.tags;
    if (src.line !== undefined) extra.l = src.line;
    if (src.original !== undefined) extra.o = src.original;
    if (src.context?.length) extra.c = src.context;
    if (src.tlp !== undefined) extra.p = src.tlp;
    if (src.validUntil !== undefined) extra.u = src.validUntil;
    const row: StoredSource = [nameIndex(src.feed), src.confidence, src.firstSeen, src.lastSeen];
    if (Object.keys(extra).length) row.push(extra);
    return row;
  });
  const a: StoredAllow[] = detail.allow.map((al) => {
    const row: StoredAllow = [nameIndex(al.list)];
    if (al.line !== undefined || al.reason !== undefined) row.push(al.line ?? 0);
    if (al.reason !== undefined) row.push(al.reason);
    return row;
  });
  const out: { s: StoredSource[]; a?: StoredAllow[]; h?: GuardNote; w?: GuardNote[] } = { s };
  if (a.length) out.a = a;
  if (detail.held) out.h = detail.held;
  if (detail.warnings?.length) out.w = detail.warnings;
  return JSON.stringify(out);
}

export function decodeDetail(json: string, names: readonly string[]): EntryDetail {
  return detailFromStored(JSON.parse(json) as StoredDetail, names);
}

/** The stored form of a detail, as JSON.parse gives it. */
export type StoredDetail = { s: StoredSource[]; a?: StoredAllow[]; h?: GuardNote; w?: GuardNote[] };

export function detailFromStored(raw: StoredDetail, names: readonly string[]): EntryDetail {
  const sources = raw.s.map(([f, c, first, last, extra]) => {
    const src: SourceRecord = { feed: names[f]!, confidence: c, firstSeen: first, lastSeen: last };
    if (extra?.t) src.tags = extra.t;
    if (extra?.l !== undefined) src.line = extra.l;
    if (extra?.o !== undefined) src.original = extra.o;
    if (extra?.c) src.context = extra.c;
    if (extra?.p !== undefined) src.tlp = extra.p;
    if (extra?.u !== undefined) src.validUntil = extra.u;
    return src;
  });
  const allow = (raw.a ?? []).map(([l, line, reason]) => {
    const al: AllowRecord = { list: names[l]! };
    if (line) al.line = line;
    if (reason !== undefined) al.reason = reason;
    return al;
  });
  const detail: EntryDetail = { sources, allow };
  if (raw.h) detail.held = raw.h;
  if (raw.w) detail.warnings = raw.w;
  return detail;
}
