import { SpanIndex, spanOf, type Span } from './ranges.js';

/**
 * Address space that is never an internet threat: a feed listing it would cut off a LAN, the
 * host itself or a carrier's network. The documentation ranges (192.0.2.0/24, 198.51.100.0/24,
 * 203.0.113.0/24, 2001:db8::/32) are deliberately absent, so examples and tests can use them.
 */
const SPECIAL_USE: Array<[string, string]> = [
  ['0.0.0.0/8', 'this-network (RFC 791)'],
  ['10.0.0.0/8', 'private-use (RFC 1918)'],
  ['100.64.0.0/10', 'shared carrier-grade NAT space (RFC 6598)'],
  ['127.0.0.0/8', 'loopback (RFC 1122)'],
  ['169.254.0.0/16', 'link-local (RFC 3927)'],
  ['172.16.0.0/12', 'private-use (RFC 1918)'],
  ['192.0.0.0/24', 'IETF protocol assignments (RFC 6890)'],
  ['192.168.0.0/16', 'private-use (RFC 1918)'],
  ['198.18.0.0/15', 'benchmarking (RFC 2544)'],
  ['224.0.0.0/4', 'multicast (RFC 5771)'],
  ['240.0.0.0/4', 'reserved, and the limited broadcast address (RFC 1112, RFC 919)'],
  ['::/128', 'unspecified address (RFC 4291)'],
  ['::1/128', 'loopback (RFC 4291)'],
  ['100::/64', 'discard-only (RFC 6666)'],
  ['fc00::/7', 'unique local (RFC 4193)'],
  ['fe80::/10', 'link-local (RFC 4291)'],
  ['ff00::/8', 'multicast (RFC 4291)'],
];

export interface SpecialRanges {
  /** What special-use range the span touches, unless the operator opted that part in. */
  check(span: Span): string | undefined;
}

/** The built-in ranges, minus any an operator explicitly wants enforced (`guards.enforce_ranges`). */
export function specialRanges(enforce: readonly string[]): SpecialRanges {
  const special = new SpanIndex<string>();
  for (const [cidr, what] of SPECIAL_USE) special.add(spanOf(cidr)!, `${cidr} is ${what}`);
  special.seal();
  const optedIn = new SpanIndex<string>();
  for (const cidr of enforce) optedIn.add(spanOf(cidr)!, cidr);
  optedIn.seal();
  return {
    check(span) {
      const hit = special.overlapping(span);
      if (!hit) return undefined;
      const opted = optedIn.overlapping(span);
      // Opting in covers values inside the opted range only, never a wider one around it.
      if (opted && opted.span.start <= span.start && opted.span.end >= span.end) return undefined;
      return hit.value;
    },
  };
}
