import { TYPE_CODE } from '../../indicators/types.js';
import type { CompiledSet, StoredDetail } from '../compiled-set.js';
import { StringTable } from '../table/string-table.js';

/**
 * What an edge gateway needs besides the Bloom filter: one record per entry, kept in Redis
 * and fetched by match key only when the filter says "maybe", and the few entries the network
 * ranges point at, which it keeps in memory because ranges cannot be asked by key.
 *
 * A record is a JSON array: [type, flags, score, feedSet, detail, value?]. `value` is there
 * only when it differs from the key (URLs, whose key leaves out the scheme; networks).
 */
export type EdgeRecord = [type: number, flags: number, score: number, feedSet: number, detail: StoredDetail, value?: string];

/** Networks are keyed apart from every other key: no canonical value holds a space. */
export const NETWORK_KEY_PREFIX = 'cidr ';

const RANGE_SETS = ['block4', 'allow4', 'block6', 'allow6'] as const;

function text(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

function recordOf(set: CompiledSet, e: number, value: string | undefined): string {
  const { detailOffsets, detailBytes } = set;
  const detail = Buffer.from(detailBytes.buffer, detailBytes.byteOffset + detailOffsets[e]!, detailOffsets[e + 1]! - detailOffsets[e]!).toString('utf8');
  const tail = value === undefined ? '' : `,${JSON.stringify(value)}`;
  return `[${set.types[e]},${set.flags[e]},${set.scores[e]},${set.feedSets[e]},${detail}${tail}]`;
}

/**
 * Every entry's record under its match key, in entry order. Where two entries share a key
 * (http:// and https:// of one URL), only the one a full lookup finds is written, so edge and
 * full gateways answer alike.
 */
export function* edgeIndex(set: CompiledSet): Generator<[string, string]> {
  const { offsets, bytes, skips, hashes } = set.table;
  const table = new StringTable(set.table);
  const cidr = TYPE_CODE.cidr;
  for (let e = 0; e < set.meta.entries; e++) {
    if (set.types[e] === cidr) {
      const value = text(bytes, offsets[e]!, offsets[e + 1]!);
      yield [NETWORK_KEY_PREFIX + value, recordOf(set, e, value)];
      continue;
    }
    const skip = skips[e]!;
    const key = text(bytes, offsets[e]! + skip, offsets[e + 1]!);
    if (table.find(key, 0, hashes[e]!) !== e) continue;
    yield [key, recordOf(set, e, skip ? text(bytes, offsets[e]!, offsets[e + 1]!) : undefined)];
  }
}

/**
 * The network entries as records, and each range set's entries renumbered into that list:
 * sections an edge gateway loads instead of the per-entry arrays.
 */
export function edgeSections(set: CompiledSet): Record<string, Uint8Array> {
  const pinned = new Map<number, number>();
  // Every network, held ones too: explain finds a network (and the held one around an address)
  // by scanning these, and there are few of them next to names.
  for (let e = 0; e < set.meta.entries; e++) if (set.types[e] === TYPE_CODE.cidr) pinned.set(e, pinned.size);
  const out: Record<string, Uint8Array> = {};
  for (const name of RANGE_SETS) {
    const entries = set[name].entries;
    const renumbered = new Uint32Array(entries.length);
    entries.forEach((e, i) => {
      let p = pinned.get(e);
      if (p === undefined) {
        p = pinned.size;
        pinned.set(e, p);
      }
      renumbered[i] = p;
    });
    out[`edge.${name}.entries`] = new Uint8Array(renumbered.buffer);
  }
  const { offsets, bytes } = set.table;
  const lines = [...pinned.keys()].map((e) => recordOf(set, e, text(bytes, offsets[e]!, offsets[e + 1]!)));
  out['edge.pinned'] = new Uint8Array(Buffer.from(`[${lines.join(',')}]`));
  return out;
}

/** Sections a full gateway does not load. */
export const isEdgeSection = (name: string): boolean => name.startsWith('edge.');
