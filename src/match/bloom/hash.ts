/**
 * Two fast, independent 32-bit string hashes. Keys are canonical indicator text (ASCII), so
 * hashing char codes directly needs no UTF-8 encoding. FNV-1a and a multiply-xor variant,
 * each finished with murmur3's fmix32 so that nearby keys spread over the whole range.
 */

export function hashPrimary(text: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

export function hashSecondary(text: string, seed = 0): number {
  let h = (0x9747b28c ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x5bd1e995);
    h ^= h >>> 15;
  }
  return fmix32(h) | 1;
}

function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
