import IPCIDR from 'ip-cidr';
import { BadValueError } from '../../errors.js';
import {
  bigIntToIPv6Groups,
  formatIPv6,
  ipv4ToUint32,
  ipv6ToBigInt,
  isStrictIPv4,
  looksLikeIPv4,
  mappedIPv4,
  parseIPv6,
  uint32ToIPv4,
} from '../address.js';
import type { Canonical } from '../types.js';

/** An address in canonical text, with its family. IPv4-mapped IPv6 comes back as IPv4. */
export interface ParsedAddress {
  family: 4 | 6;
  text: string;
  /** IPv4 as a number, IPv6 as eight groups. */
  v4?: number;
  v6?: number[];
}

/** Parses strict address text, or returns undefined when it is not an address at all. */
export function parseAddress(text: string): ParsedAddress | undefined {
  if (isStrictIPv4(text)) return { family: 4, text, v4: ipv4ToUint32(text) };
  if (!text.includes(':')) return undefined;

  const groups = parseIPv6(text);
  if (!groups) return undefined;
  const mapped = mappedIPv4(groups);
  if (mapped !== undefined) return { family: 4, text: uint32ToIPv4(mapped), v4: mapped };
  return { family: 6, text: formatIPv6(groups), v6: groups };
}

/** Like parseAddress, but names why text that looks like an IPv4 address is refused. */
export function parseAddressOrThrow(input: string, text: string): ParsedAddress {
  const parsed = parseAddress(text);
  if (parsed) return parsed;
  if (looksLikeIPv4(text)) {
    throw new BadValueError(input, 'ambiguous IPv4 text (leading zero or octet over 255)');
  }
  throw new BadValueError(input, 'not an IP address');
}

export function addressCanonical(addr: ParsedAddress): Canonical {
  return { type: addr.family === 4 ? 'ipv4' : 'ipv6', value: addr.text };
}

/**
 * Canonical CIDR: the network address with host bits cleared, and the prefix. A /32 (IPv4) or
 * /128 (IPv6) is a single address and becomes an address indicator. `/0` is refused: it
 * matches everything and no feed means it.
 */
export function normalizeCidr(input: string, text: string): { value: Canonical; cleared: boolean } {
  const slash = text.indexOf('/');
  const addr = parseAddressOrThrow(input, text.slice(0, slash));
  const prefixText = text.slice(slash + 1);
  const max = addr.family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) {
    throw new BadValueError(input, `prefix length must be 0 to ${max}`);
  }
  const prefix = Number(prefixText);
  if (prefix === 0) throw new BadValueError(input, 'prefix /0 covers every address');
  if (prefix === max) return { value: addressCanonical(addr), cleared: false };

  const network = networkAddress(addr, prefix);
  const value = `${network}/${prefix}`;
  // A second opinion from ip-cidr guards the hand-written bit arithmetic above.
  if (!IPCIDR.isValidCIDR(value)) throw new BadValueError(input, 'not a valid CIDR');
  return { value: { type: 'cidr', value }, cleared: network !== addr.text };
}

function networkAddress(addr: ParsedAddress, prefix: number): string {
  if (addr.family === 4) {
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    return uint32ToIPv4((addr.v4! & mask) >>> 0);
  }
  const all = (1n << 128n) - 1n;
  const mask = (all << BigInt(128 - prefix)) & all;
  return formatIPv6(bigIntToIPv6Groups(ipv6ToBigInt(addr.v6!) & mask));
}

/** Largest number of CIDRs one range may expand into before it is refused as implausible. */
const MAX_RANGE_CIDRS = 64;

/**
 * Splits an inclusive address range `start-end` into the fewest covering CIDRs; a range that
 * needs more than `maxCidrs` is refused as implausible for a feed entry.
 */
export function rangeToCidrs(input: string, startText: string, endText: string, maxCidrs = MAX_RANGE_CIDRS): Canonical[] {
  const start = parseAddressOrThrow(input, startText.trim());
  const end = parseAddressOrThrow(input, endText.trim());
  if (start.family !== end.family) throw new BadValueError(input, 'range mixes IPv4 and IPv6');

  const bits = start.family === 4 ? 32 : 128;
  let lo = start.family === 4 ? BigInt(start.v4!) : ipv6ToBigInt(start.v6!);
  const hi = end.family === 4 ? BigInt(end.v4!) : ipv6ToBigInt(end.v6!);
  if (lo > hi) throw new BadValueError(input, 'range ends before it starts');

  const out: Canonical[] = [];
  while (lo <= hi) {
    const size = largestAlignedBlock(lo, hi, bits);
    out.push(blockCanonical(start.family, lo, bits - size, bits));
    lo += 1n << BigInt(size);
    if (out.length > maxCidrs) throw new BadValueError(input, `range needs more than ${maxCidrs} CIDRs`);
  }
  return out;
}

function largestAlignedBlock(lo: bigint, hi: bigint, bits: number): number {
  let size = 0;
  while (size < bits) {
    const next = 1n << BigInt(size + 1);
    if (lo % next !== 0n || lo + next - 1n > hi) break;
    size++;
  }
  return size;
}

function blockCanonical(family: 4 | 6, base: bigint, prefix: number, bits: number): Canonical {
  const text = family === 4 ? uint32ToIPv4(Number(base)) : formatIPv6(bigIntToIPv6Groups(base));
  if (prefix === bits) return { type: family === 4 ? 'ipv4' : 'ipv6', value: text };
  if (prefix === 0) throw new BadValueError(text, 'range covers every address');
  return { type: 'cidr', value: `${text}/${prefix}` };
}
