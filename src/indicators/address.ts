/**
 * Strict IP address text forms and their numeric values. Feed text is read strictly: an IPv4
 * octet with a leading zero is ambiguous (octal to some parsers, decimal to others), so it is
 * refused rather than guessed.
 */

const IPV4_OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4_STRICT = new RegExp(`^${IPV4_OCTET}(?:\\.${IPV4_OCTET}){3}$`);
const IPV4_LOOSE = /^\d{1,4}(?:\.\d{1,4}){3}$/;

/** True for dotted-quad decimal text without leading zeros, such as `192.0.2.1`. */
export function isStrictIPv4(text: string): boolean {
  return IPV4_STRICT.test(text);
}

/** True for text shaped like a dotted quad that is not strict (leading zeros, octets > 255). */
export function looksLikeIPv4(text: string): boolean {
  return IPV4_LOOSE.test(text);
}

/** Numeric value of strict IPv4 text; the caller has checked it with isStrictIPv4. */
export function ipv4ToUint32(text: string): number {
  let value = 0;
  let octet = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      value = value * 256 + octet;
      octet = 0;
    } else {
      octet = octet * 10 + (c - 48);
    }
  }
  return value * 256 + octet;
}

export function uint32ToIPv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 255}.${(value >>> 8) & 255}.${value & 255}`;
}

/**
 * Parses IPv6 text into eight 16-bit groups, or returns undefined. Accepts `::` compression
 * and a dotted IPv4 tail; refuses zone ids (`%eth0`), which name a link, not an address.
 */
export function parseIPv6(text: string): number[] | undefined {
  if (text.length < 2 || text.length > 45 || text.includes('%')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;

  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : halves[1]!.split(':')) : [];
  const groups: number[] = [];
  const all = [...head, ...(halves.length === 2 ? ['::'] : []), ...tail];

  for (let i = 0; i < all.length; i++) {
    const part = all[i]!;
    if (part === '::') {
      groups.push(-1);
    } else if (i === all.length - 1 && part.includes('.')) {
      if (!isStrictIPv4(part)) return undefined;
      const v4 = ipv4ToUint32(part);
      groups.push(v4 >>> 16, v4 & 0xffff);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return undefined;
    }
  }
  return expandGap(groups, halves.length === 2);
}

function expandGap(groups: number[], hasGap: boolean): number[] | undefined {
  const gap = groups.indexOf(-1);
  if (!hasGap) return groups.length === 8 ? groups : undefined;
  const missing = 8 - (groups.length - 1);
  if (missing < 1) return undefined;
  return [...groups.slice(0, gap), ...new Array<number>(missing).fill(0), ...groups.slice(gap + 1)];
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run of two or more zero groups as `::`. */
export function formatIPv6(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLen).join(':');
  return `${left}::${right}`;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (::ffff:a.b.c.d), if it is one. */
export function mappedIPv4(groups: readonly number[]): number | undefined {
  for (let i = 0; i < 5; i++) if (groups[i] !== 0) return undefined;
  if (groups[5] !== 0xffff) return undefined;
  return groups[6]! * 65536 + groups[7]!;
}

/** 128-bit value of eight groups, for range arithmetic at build time (not on hot paths). */
export function ipv6ToBigInt(groups: readonly number[]): bigint {
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(g);
  return value;
}

export function bigIntToIPv6Groups(value: bigint): number[] {
  const groups = new Array<number>(8);
  for (let i = 7; i >= 0; i--) {
    groups[i] = Number(value & 0xffffn);
    value >>= 16n;
  }
  return groups;
}

/** Four 32-bit words (most significant first) of an IPv6 address, as the matcher stores it. */
export function ipv6ToWords(groups: readonly number[]): [number, number, number, number] {
  return [
    (groups[0]! * 65536 + groups[1]!) >>> 0,
    (groups[2]! * 65536 + groups[3]!) >>> 0,
    (groups[4]! * 65536 + groups[5]!) >>> 0,
    (groups[6]! * 65536 + groups[7]!) >>> 0,
  ];
}
