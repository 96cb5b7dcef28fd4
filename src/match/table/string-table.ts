/**
 * An immutable open-addressing hash table over keys stored as ASCII bytes, built once per set
 * version. Everything lives in typed arrays, so a table can be saved, loaded and shared between
 * threads without rebuilding, and holds no per-key JavaScript objects.
 *
 *   slots:    [0, 3, 0, 1, 2, 0, …]    entry index + 1, 0 = empty; linear probing
 *   hashes:   [h0, h1, h2, …]          full 32-bit hash per entry, checked before the bytes
 *   offsets:  [0, 11, 26, …]           entry i's key is bytes[offsets[i] + skip, offsets[i+1])
 *   bytes:    "example.comhttp://…"
 *
 * `skip` lets URL entries keep their scheme in the stored text while matching without it.
 */
export interface TableArrays {
  slots: Uint32Array;
  hashes: Uint32Array;
  offsets: Uint32Array;
  bytes: Uint8Array;
  /** Per entry: how many leading key bytes are not part of the match key. */
  skips: Uint8Array;
}

export class StringTable {
  private readonly mask: number;

  constructor(private readonly a: TableArrays) {
    this.mask = a.slots.length - 1;
  }

  /**
   * The entry whose match key equals `text` from index `from` on (a suffix, without copying it),
   * or -1. `hash` is hashPrimary of that suffix.
   */
  find(text: string, from: number, hash: number): number {
    const { slots, hashes } = this.a;
    let i = hash & this.mask;
    for (;;) {
      const slot = slots[i]!;
      if (slot === 0) return -1;
      const entry = slot - 1;
      if (hashes[entry] === hash && this.keyEquals(entry, text, from)) return entry;
      i = (i + 1) & this.mask;
    }
  }

  private keyEquals(entry: number, text: string, from: number): boolean {
    const { offsets, bytes, skips } = this.a;
    const start = offsets[entry]! + skips[entry]!;
    if (offsets[entry + 1]! - start !== text.length - from) return false;
    for (let i = from; i < text.length; i++) {
      if (bytes[start + i - from] !== text.charCodeAt(i)) return false;
    }
    return true;
  }
}

/** Smallest power of two that keeps the table at most half full. */
export function tableCapacity(keys: number): number {
  let capacity = 8;
  while (capacity < keys * 2) capacity *= 2;
  return capacity;
}

/** Places entry `entry` with `hash` into `slots` (build time only). */
export function insertSlot(slots: Uint32Array, hash: number, entry: number): void {
  const mask = slots.length - 1;
  let i = hash & mask;
  while (slots[i] !== 0) i = (i + 1) & mask;
  slots[i] = entry + 1;
}
