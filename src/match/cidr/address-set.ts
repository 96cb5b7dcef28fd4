import { ipv4ToUint32, ipv6ToBigInt, ipv6ToWords, parseIPv6 } from '../../indicators/address.js';
import { parseAddress, type ParsedAddress } from '../../indicators/normalize/index.js';
import type { Network } from './flatten.js';
import { buildIpv4Ranges, findIpv4, type Ipv4RangeArrays } from './ipv4-ranges.js';
import { buildIpv6Ranges, findIpv6, type Ipv6RangeArrays } from './ipv6-ranges.js';

/**
 * A fixed set of networks for membership tests (client ACLs, trusted proxies). Built with the
 * same range tables as the matcher; throws on a CIDR that does not parse, naming it.
 */
export class AddressSet {
  private constructor(
    private readonly v4: Ipv4RangeArrays,
    private readonly v6: Ipv6RangeArrays,
  ) {}

  static fromCidrs(cidrs: readonly string[]): AddressSet {
    const v4: Network[] = [];
    const v6: Network[] = [];
    cidrs.forEach((cidr, entry) => {
      const [addressText, prefixText] = cidr.includes('/') ? cidr.split('/') : [cidr, undefined];
      const address = parseAddress(addressText!);
      if (!address) throw new Error(`${cidr}: not an address or CIDR`);
      const bits = address.family === 4 ? 32 : 128;
      const prefix = prefixText === undefined ? bits : Number(prefixText);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) throw new Error(`${cidr}: bad prefix length`);
      const base = address.family === 4 ? BigInt(ipv4ToUint32(address.text)) : ipv6ToBigInt(parseIPv6(address.text)!);
      const hostBits = BigInt(bits - prefix);
      const start = (base >> hostBits) << hostBits;
      const network = { start, end: start | ((1n << hostBits) - 1n), entry, score: 0 };
      (address.family === 4 ? v4 : v6).push(network);
    });
    return new AddressSet(buildIpv4Ranges(v4), buildIpv6Ranges(v6));
  }

  has(address: ParsedAddress): boolean {
    if (address.family === 4) return findIpv4(this.v4, address.v4!) >= 0;
    return findIpv6(this.v6, ipv6ToWords(address.v6!)) >= 0;
  }

  /** Membership of address text as sockets report it (IPv4-mapped IPv6 counts as IPv4). */
  hasText(text: string): boolean {
    const address = parseAddress(text);
    return address !== undefined && this.has(address);
  }
}
