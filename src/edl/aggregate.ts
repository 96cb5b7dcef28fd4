import { bigIntToIPv6Groups, formatIPv6, ipv4ToUint32, ipv6ToBigInt, parseIPv6, uint32ToIPv4 } from '../indicators/address.js';

/** An inclusive address range of one family. */
export interface Interval {
  family: 4 | 6;
  start: bigint;
  end: bigint;
}

const BITS = { 4: 32, 6: 128 } as const;

/** A canonical address or CIDR (as the matcher stores it) as the range it covers. */
export function cidrInterval(value: string): Interval {
  const [address, prefixText] = value.split('/') as [string, string | undefined];
  const family = address.includes(':') ? 6 : 4;
  const bits = BITS[family];
  const start = family === 6 ? ipv6ToBigInt(parseIPv6(address)!) : BigInt(ipv4ToUint32(address));
  const host = BigInt(bits - (prefixText === undefined ? bits : Number(prefixText)));
  return { family, start, end: start | ((1n << host) - 1n) };
}

/**
 * The fewest CIDRs that cover exactly the union of the given ranges: overlapping and adjacent
 * ranges are merged first, then each merged range is cut into its largest aligned blocks.
 * IPv4 comes before IPv6, each in address order. The result never overlaps itself, which
 * nft interval sets require, and a firewall counts a network as one entry however large.
 */
export function aggregate(intervals: readonly Interval[]): string[] {
  const out: string[] = [];
  for (const family of [4, 6] as const) {
    const sorted = intervals.filter((i) => i.family === family).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    let current: Interval | undefined;
    for (const next of sorted) {
      if (current && next.start <= current.end + 1n) {
        if (next.end > current.end) current.end = next.end;
        continue;
      }
      if (current) out.push(...blocks(current));
      current = { ...next };
    }
    if (current) out.push(...blocks(current));
  }
  return out;
}

/** An inclusive range as the fewest CIDRs, in address order. */
export function blocks(range: Interval): string[] {
  const bits = BITS[range.family];
  const out: string[] = [];
  let lo = range.start;
  while (lo <= range.end) {
    // The block may grow while lo stays aligned to it and it stays inside the range.
    let size = trailingZeros(lo, bits);
    const room = range.end - lo + 1n;
    while (size > 0 && 1n << BigInt(size) > room) size--;
    out.push(cidrText(range.family, lo, bits - size));
    lo += 1n << BigInt(size);
  }
  return out;
}

function trailingZeros(value: bigint, bits: number): number {
  if (value === 0n) return bits;
  let n = 0;
  while (((value >> BigInt(n)) & 1n) === 0n) n++;
  return n;
}

/** Canonical text: a single address without a prefix, as feeds' addresses are stored. */
export function cidrText(family: 4 | 6, base: bigint, prefix: number): string {
  const text = family === 4 ? uint32ToIPv4(Number(base)) : formatIPv6(bigIntToIPv6Groups(base));
  return prefix === BITS[family] ? text : `${text}/${prefix}`;
}
