import { flattenNetworks, type Network } from './flatten.js';

/** Disjoint IPv4 ranges in three parallel arrays, sorted by start. */
export interface Ipv4RangeArrays {
  starts: Uint32Array;
  ends: Uint32Array;
  entries: Uint32Array;
}

export function buildIpv4Ranges(networks: Network[]): Ipv4RangeArrays {
  const ranges = flattenNetworks(networks);
  const arrays = {
    starts: new Uint32Array(ranges.length),
    ends: new Uint32Array(ranges.length),
    entries: new Uint32Array(ranges.length),
  };
  ranges.forEach((r, i) => {
    arrays.starts[i] = Number(r.start);
    arrays.ends[i] = Number(r.end);
    arrays.entries[i] = r.entry;
  });
  return arrays;
}

/** The entry whose range holds `address`, or -1: a binary search for the last start ≤ address. */
export function findIpv4(arrays: Ipv4RangeArrays, address: number): number {
  const { starts, ends, entries } = arrays;
  let lo = 0;
  let hi = starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (starts[mid]! <= address) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found >= 0 && address <= ends[found]! ? entries[found]! : -1;
}
