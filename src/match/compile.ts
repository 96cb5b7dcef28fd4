import {
  ipv4ToUint32,
  ipv6ToBigInt,
  parseIPv6,
} from '../indicators/address.js';
import type { IndicatorEntry, IndicatorSet } from '../indicators/set.js';
import { TYPE_CODE } from '../indicators/types.js';
import { bloomBits, createBloom } from './bloom/filter.js';
import { hashPrimary } from './bloom/hash.js';
import type { Network } from './cidr/flatten.js';
import { buildIpv4Ranges } from './cidr/ipv4-ranges.js';
import { buildIpv6Ranges } from './cidr/ipv6-ranges.js';
import {
  encodeDetail,
  FLAG_ALLOW,
  FLAG_EXACT_ONLY,
  FLAG_HELD,
  FLAG_NO_BLOCK,
  FLAG_WARN,
  type CompiledSet,
} from './compiled-set.js';
import { insertSlot, tableCapacity } from './table/string-table.js';

/** Byte offset where an entry's match key starts: URLs are matched without their scheme. */
export function matchKeySkip(entry: { type: string; value: string }): number {
  return entry.type === 'url' ? entry.value.indexOf('://') + 3 : 0;
}

/** Compiles a set for lookups. Runs once per version, off the query path. */
export function compileSet(set: IndicatorSet): CompiledSet {
  const { entries } = set;
  const count = entries.length;
  const names = new NameIndex();

  const types = new Uint8Array(count);
  const flags = new Uint8Array(count);
  const scores = new Uint8Array(count);
  const feedSets = new Uint32Array(count);
  const feedSetIndex = new Map<string, number>();
  const feedSetList: number[][] = [];
  const counts: Record<string, number> = {};

  entries.forEach((e, i) => {
    types[i] = TYPE_CODE[e.type];
    flags[i] =
      (e.allow.length ? FLAG_ALLOW : 0) |
      (e.exactOnly ? FLAG_EXACT_ONLY : 0) |
      (e.held ? FLAG_HELD : 0) |
      (e.warnings?.length ? FLAG_WARN : 0) |
      (e.blockScore !== undefined && e.blockScore < set.policy.block_at ? FLAG_NO_BLOCK : 0);
    scores[i] = e.score;
    const feeds = e.sources.map((s) => names.of(s.feed)).sort((a, b) => a - b);
    const setKey = feeds.join(',');
    let setIdx = feedSetIndex.get(setKey);
    if (setIdx === undefined) {
      setIdx = feedSetList.push(feeds) - 1;
      feedSetIndex.set(setKey, setIdx);
    }
    feedSets[i] = setIdx;
    // What the gauge counts: entries that can give a block or monitor verdict.
    if (e.sources.length && !e.allow.length && !e.held && e.score >= set.policy.monitor_at) {
      counts[e.type] = (counts[e.type] ?? 0) + 1;
    }
  });

  const { table, bloom } = buildTable(entries);
  const details = encodeDetails(entries, names);
  const networks = collectNetworks(entries);
  return {
    meta: {
      version: set.version,
      createdAt: set.createdAt,
      policy: set.policy,
      entries: count,
      names: names.list,
      feedSets: feedSetList,
      bloom: { size: bloom.size, hashes: bloom.hashes },
      counts,
    },
    types,
    flags,
    scores,
    feedSets,
    table,
    detailOffsets: details.offsets,
    detailBytes: details.bytes,
    bloomBits: bloom.bits,
    block4: buildIpv4Ranges(networks.block4),
    allow4: buildIpv4Ranges(networks.allow4),
    block6: buildIpv6Ranges(networks.block6),
    allow6: buildIpv6Ranges(networks.allow6),
  };
}

class NameIndex {
  readonly list: string[] = [];
  private readonly index = new Map<string, number>();

  of(name: string): number {
    let i = this.index.get(name);
    if (i === undefined) {
      i = this.list.push(name) - 1;
      this.index.set(name, i);
    }
    return i;
  }
}

function buildTable(entries: readonly IndicatorEntry[]) {
  const count = entries.length;
  const offsets = new Uint32Array(count + 1);
  const skips = new Uint8Array(count);
  let total = 0;
  entries.forEach((e, i) => {
    offsets[i] = total;
    total += e.value.length;
  });
  offsets[count] = total;

  // Canonical values are ASCII (punycode names, percent-encoded URLs, hex), one byte a char.
  // Not from Buffer's shared pool: the set's memory may be transferred to another thread.
  const bytes = Buffer.allocUnsafeSlow(total);
  const hashes = new Uint32Array(count);
  const keyed = entries.filter((e) => e.type !== 'cidr').length;
  const slots = new Uint32Array(tableCapacity(keyed));
  const bloom = createBloom(keyed);

  entries.forEach((e, i) => {
    bytes.write(e.value, offsets[i]!, 'latin1');
    if (e.type === 'cidr') return;
    const skip = matchKeySkip(e);
    const key = skip ? e.value.slice(skip) : e.value;
    skips[i] = skip;
    hashes[i] = hashPrimary(key);
    insertSlot(slots, hashes[i]!, i);
    bloom.add(key);
  });
  return {
    table: { slots, hashes, offsets, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, total), skips },
    bloom: bloomBits(bloom),
  };
}

function encodeDetails(entries: readonly IndicatorEntry[], names: NameIndex) {
  const texts = entries.map((e) => encodeDetail(e, (n) => names.of(n)));
  const offsets = new Uint32Array(entries.length + 1);
  let total = 0;
  texts.forEach((t, i) => {
    offsets[i] = total;
    total += Buffer.byteLength(t);
  });
  offsets[entries.length] = total;
  const bytes = Buffer.allocUnsafeSlow(total);
  texts.forEach((t, i) => bytes.write(t, offsets[i]!, 'utf8'));
  return { offsets, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, total) };
}

function collectNetworks(entries: readonly IndicatorEntry[]) {
  const out = { block4: [] as Network[], allow4: [] as Network[], block6: [] as Network[], allow6: [] as Network[] };
  entries.forEach((e, entry) => {
    // A held network would shadow narrower listed ones by longest prefix; explain finds it by scan.
    if (e.type !== 'cidr' || e.held) return;
    const [address, prefixText] = e.value.split('/') as [string, string];
    const prefix = Number(prefixText);
    const allowed = e.allow.length > 0;
    if (address.includes(':')) {
      const start = ipv6ToBigInt(parseIPv6(address)!);
      const end = start | ((1n << BigInt(128 - prefix)) - 1n);
      (allowed ? out.allow6 : out.block6).push({ start, end, entry, score: e.score });
    } else {
      const start = BigInt(ipv4ToUint32(address));
      const end = start | ((1n << BigInt(32 - prefix)) - 1n);
      (allowed ? out.allow4 : out.block4).push({ start, end, entry, score: e.score });
    }
  });
  return out;
}
