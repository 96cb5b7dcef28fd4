/**
 * Two fast, independent 32-bit string hashes, computed from the LAST character to the first.
 * Hashing backwards means one pass over a name yields the hash of every parent suffix on the
 * way (com, example.com, www.example.com), so a suffix walk hashes each character once.
 * Keys are canonical indicator text (ASCII), so char codes are hashed directly. The two hashes
 * are FNV-1a and a multiply-xor variant, each finished with murmur3's fmix32.
 */

export const H1_SEED = 0x811c9dc5;
export const H2_SEED = 0x9747b28c;

/** One step of the first hash over char code `c`. */
export function stepPrimary(state: number, c: number): number {
  return Math.imul(state ^ c, 0x01000193);
}

/** One step of the second hash over char code `c`. */
export function stepSecondary(state: number, c: number): number {
  const h = Math.imul(state ^ c, 0x5bd1e995);
  return h ^ (h >>> 15);
}

export function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** First hash of `text` (from its end back to index 0). */
export function hashPrimary(text: string, seed = 0): number {
  let h = (H1_SEED ^ seed) >>> 0;
  for (let i = text.length - 1; i >= 0; i--) h = stepPrimary(h, text.charCodeAt(i));
  return fmix32(h);
}

/** Second hash of `text`; always odd, so double hashing visits distinct bits. */
export function hashSecondary(text: string, seed = 0): number {
  let h = (H2_SEED ^ seed) >>> 0;
  for (let i = text.length - 1; i >= 0; i--) h = stepSecondary(h, text.charCodeAt(i));
  return fmix32(h) | 1;
}
