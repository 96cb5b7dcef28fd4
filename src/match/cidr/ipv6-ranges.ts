import { flattenNetworks, type Network } from './flatten.js';

/**
 * Disjoint IPv6 ranges; each address is four 32-bit words, most significant first, so range i
 * starts at starts[4i..4i+3]. Word-wise comparison avoids BigInt on the lookup path.
 */
export interface Ipv6RangeArrays {
  starts: Uint32Array;
  ends: Uint32Array;
  entries: Uint32Array;
}

export function buildIpv6Ranges(networks: Network[]): Ipv6RangeArrays {
  const ranges = flattenNetworks(networks);
  const arrays = {
    starts: new Uint32Array(ranges.length * 4),
    ends: new Uint32Array(ranges.length * 4),
    entries: new Uint32Array(ranges.length),
  };
  ranges.forEach((r, i) => {
    writeWords(arrays.starts, i, r.start);
    writeWords(arrays.ends, i, r.end);
    arrays.entries[i] = r.entry;
  });
  return arrays;
}

function writeWords(target: Uint32Array, index: number, value: bigint): void {
  for (let w = 3; w >= 0; w--) {
    target[index * 4 + w] = Number(value & 0xffffffffn);
    value >>= 32n;
  }
}

/** -1, 0 or 1 as words[4i..] compares with the address. */
function compareAt(words: Uint32Array, i: number, address: ArrayLike<number>): number {
  for (let w = 0; w < 4; w++) {
    const a = words[i * 4 + w]!;
    const b = address[w]!;
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}

export function findIpv6(arrays: Ipv6RangeArrays, address: ArrayLike<number>): number {
  const count = arrays.entries.length;
  let lo = 0;
  let hi = count - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (compareAt(arrays.starts, mid, address) <= 0) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found >= 0 && compareAt(arrays.ends, found, address) >= 0 ? arrays.entries[found]! : -1;
}
