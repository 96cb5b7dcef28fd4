import bloomFilters from 'bloom-filters';
import { hashPrimary, hashSecondary } from './hash.js';

const { BloomFilter, Hashing } = bloomFilters;

/** Target false-positive rate of every filter; a false positive only costs one table probe. */
export const BLOOM_ERROR_RATE = 0.01;

/**
 * The library's default hashing runs xxhash64 twice through a big-number library per key
 * (about 9 µs a check here). This replaces it with two 32-bit hashes combined by double
 * hashing (Kirsch and Mitzenmacher), and reuses one index array, which is safe because a
 * check never outlives the call and JavaScript runs one check at a time per thread.
 */
class FastHashing extends Hashing {
  private readonly scratch: number[] = [];

  override getIndexes(element: unknown, size: number, hashCount: number, seed = 0): number[] {
    const text = String(element);
    const h1 = hashPrimary(text, seed);
    const h2 = hashSecondary(text, seed);
    const out = this.scratch;
    out.length = hashCount;
    for (let i = 0; i < hashCount; i++) out[i] = bitIndex(h1, h2, i, size);
    return out;
  }
}

/** Bit i of a key's k bits: Kirsch-Mitzenmacher double hashing, h1 + i·h2 modulo the size. */
export function bitIndex(h1: number, h2: number, i: number, size: number): number {
  return ((h1 + Math.imul(i, h2)) >>> 0) % size;
}

/**
 * Membership from precomputed hashes, reading the library's bit array with its own layout
 * (bit i is bit i % 8 of byte i / 8). The matcher's suffix walk has the hashes of every parent
 * name already, so it asks here instead of re-hashing each suffix through `has`.
 */
export function bloomHasHashes(bits: Uint8Array, size: number, hashes: number, h1: number, h2: number): boolean {
  for (let i = 0; i < hashes; i++) {
    const index = bitIndex(h1, h2, i, size);
    if ((bits[index >>> 3]! & (1 << (index & 7))) === 0) return false;
  }
  return true;
}

export type Bloom = InstanceType<typeof BloomFilter>;

/** A filter sized for `items` keys at BLOOM_ERROR_RATE, with the fast hashing installed. */
export function createBloom(items: number): Bloom {
  const filter = BloomFilter.create(Math.max(items, 1), BLOOM_ERROR_RATE);
  return withFastHashing(filter);
}

/** The filter's bit array, to be saved or shared as it is. */
export function bloomBits(filter: Bloom): { bits: Uint8Array; size: number; hashes: number } {
  return { bits: bitSetOf(filter).array, size: filter.size, hashes: filter._nbHashes };
}

function withFastHashing(filter: Bloom): Bloom {
  filter.seed = 0;
  filter._hashing = new FastHashing();
  return filter;
}

function bitSetOf(filter: Bloom): { array: Uint8Array } {
  return (filter as unknown as { _filter: { array: Uint8Array } })._filter;
}
