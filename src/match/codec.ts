import type { CompiledMeta, CompiledSet } from './compiled-set.js';
import { edgeIndex, edgeSections } from './edge/records.js';

/**
 * Converts a compiled set to and from named byte sections, the form stores keep. Loading
 * takes views over the stored bytes where they are aligned, so a large set loads without
 * being copied or rebuilt.
 */

type Typed = Uint8Array | Uint32Array;
type Image = { meta: { version: number } & Record<string, unknown>; sections: Record<string, Uint8Array> };

export function setToImage(set: CompiledSet): Image {
  const sections: Record<string, Typed> = {
    types: set.types,
    flags: set.flags,
    scores: set.scores,
    feedSets: set.feedSets,
    'table.slots': set.table.slots,
    'table.hashes': set.table.hashes,
    'table.offsets': set.table.offsets,
    'table.bytes': set.table.bytes,
    'table.skips': set.table.skips,
    detailOffsets: set.detailOffsets,
    detailBytes: set.detailBytes,
    bloomBits: set.bloomBits,
  };
  for (const name of ['block4', 'allow4', 'block6', 'allow6'] as const) {
    sections[`${name}.starts`] = set[name].starts;
    sections[`${name}.ends`] = set[name].ends;
    sections[`${name}.entries`] = set[name].entries;
  }
  const bytes: Record<string, Uint8Array> = {};
  for (const [name, arr] of Object.entries(sections)) {
    bytes[name] = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
  }
  return { meta: set.meta as unknown as Image['meta'], sections: bytes };
}

/**
 * What a store keeps of a set: its sections, the few an edge gateway loads in place of the
 * per-entry arrays, and (generated while the store writes it) the records index by key.
 */
export function setToStoredImage(set: CompiledSet): Image & { index: () => Iterable<[string, string]> } {
  const image = setToImage(set);
  Object.assign(image.sections, edgeSections(set));
  return { ...image, index: () => edgeIndex(set) };
}

export function imageToSet(image: Image): CompiledSet {
  const u8 = (name: string) => section(image, name);
  const u32 = (name: string) => asUint32(section(image, name), name);
  const ranges = (name: string) => ({
    starts: u32(`${name}.starts`),
    ends: u32(`${name}.ends`),
    entries: u32(`${name}.entries`),
  });
  return {
    meta: image.meta as unknown as CompiledMeta,
    types: u8('types'),
    flags: u8('flags'),
    scores: u8('scores'),
    feedSets: u32('feedSets'),
    table: {
      slots: u32('table.slots'),
      hashes: u32('table.hashes'),
      offsets: u32('table.offsets'),
      bytes: u8('table.bytes'),
      skips: u8('table.skips'),
    },
    detailOffsets: u32('detailOffsets'),
    detailBytes: u8('detailBytes'),
    bloomBits: u8('bloomBits'),
    block4: ranges('block4'),
    allow4: ranges('allow4'),
    block6: ranges('block6'),
    allow6: ranges('allow6'),
  };
}

function section(image: Image, name: string): Uint8Array {
  const bytes = image.sections[name];
  if (!bytes) throw new Error(`set version ${image.meta.version} lacks section ${name}`);
  return bytes;
}

function asUint32(bytes: Uint8Array, name: string): Uint32Array {
  if (bytes.byteLength % 4 !== 0) throw new Error(`section ${name} is not a whole number of 32-bit words`);
  if (bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return new Uint32Array(bytes.slice().buffer);
}

/**
 * The same set with every section in shared memory, so threads answering DNS each read the
 * one copy instead of holding their own. Sections already shared are kept as they are.
 */
export function shareSet(set: CompiledSet): CompiledSet {
  const image = setToImage(set);
  const sections: Record<string, Uint8Array> = {};
  for (const [name, bytes] of Object.entries(image.sections)) {
    if (bytes.buffer instanceof SharedArrayBuffer) sections[name] = bytes;
    else {
      const shared = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
      shared.set(bytes);
      sections[name] = shared;
    }
  }
  return imageToSet({ meta: image.meta, sections });
}

/** Whether every section of `set` is in shared memory. */
export function isShared(set: CompiledSet): boolean {
  return Object.values(setToImage(set).sections).every((bytes) => bytes.buffer instanceof SharedArrayBuffer);
}
