import { bigIntToIPv6Groups } from '../../indicators/address.js';
import { cidrInterval } from '../aggregate.js';
import type { ListFormat, PageText, RenderContext } from './types.js';

const TTL = 300;
/** Longest name in presentation form without the final dot (255 octets on the wire). */
const MAX_NAME = 253;

/** The zone's origin with its final dot; `zone` is checked by listProblems. */
export function rpzOrigin(zone: string): string {
  return zone.endsWith('.') ? zone : `${zone}.`;
}

/**
 * A response policy zone that BIND (response-policy) and Unbound (rpz:) load:
 *  - `name CNAME .` (NXDOMAIN) for a listed name, and `*.name CNAME .` when it covers the names
 *    below it; exact-only entries get the first alone;
 *  - allowlisted names below a listed one get `rpz-passthru.` records, which win over the
 *    wildcard (a more specific trigger wins), so the zone never blocks what the verdict allows;
 *  - networks become rpz-ip triggers on the addresses in answers:
 *    `<prefix>.<reversed address>.rpz-ip CNAME .`, IPv6 with `zz` for the longest zero run.
 * The SOA serial is the set version, so secondaries see each new version as a change.
 */
export const rpzFormat: ListFormat = {
  contentType: 'text/plain; charset=utf-8',
  kinds: ['ip', 'domain'],
  pages: false,
  aggregateIps: true,
  withholdsWildcards: false,
  ipUnit: (cidr) => `${rpzIpOwner(cidr)} CNAME .`,
  entryUnits(ctx, entry) {
    const units = [`${entry.value} CNAME .`];
    if (!entry.exactOnly) units.push(`*.${entry.value} CNAME .`);
    return units.filter((u) => fits(ctx, u.split(' ')[0]!));
  },
  preamble(ctx, kept) {
    const out: string[] = [];
    for (const entry of kept) {
      if (entry.kind !== 'domain' || entry.exactOnly) continue;
      for (const allowed of ctx.allowedNamesBelow(entry.value)) {
        out.push(`${allowed.name} CNAME rpz-passthru.`);
        if (allowed.subdomains) out.push(`*.${allowed.name} CNAME rpz-passthru.`);
      }
    }
    return [...new Set(out)].filter((u) => fits(ctx, u.split(' ')[0]!));
  },
  document: (ctx, page) => zoneDocument(ctx, page),
};

function zoneDocument(ctx: RenderContext, page: PageText): string {
  const serial = ctx.version % 2 ** 32;
  const lines = [
    `; ${page.title}${page.units.length === 0 ? ': no entries' : `, ${page.units.length} records`}`,
    ...page.notes.map((n) => `; ${n}`),
    `$ORIGIN ${rpzOrigin(ctx.list.zone)}`,
    `$TTL ${TTL}`,
    `@ SOA localhost. hostmaster.localhost. ${serial} 3600 600 86400 ${TTL}`,
    '@ NS localhost.',
    ...page.preamble,
    ...page.units,
  ];
  return `${lines.join('\n')}\n`;
}

/** Whether a relative owner name still fits in a DNS name once the origin is appended. */
function fits(ctx: RenderContext, owner: string): boolean {
  return `${owner}.${rpzOrigin(ctx.list.zone)}`.length - 1 <= MAX_NAME;
}

/** The rpz-ip owner of a network: prefix length, then the address with its parts reversed. */
export function rpzIpOwner(cidr: string): string {
  const { family, start } = cidrInterval(cidr);
  const prefix = cidr.includes('/') ? Number(cidr.split('/')[1]) : family === 4 ? 32 : 128;
  if (family === 4) {
    const n = Number(start);
    return `${prefix}.${n & 255}.${(n >>> 8) & 255}.${(n >>> 16) & 255}.${n >>> 24}.rpz-ip`;
  }
  // `zz` stands for the run of zero groups RFC 5952 text writes as `::` (the first longest,
  // two groups or more), so the name reads as the canonical address reversed.
  const groups = bigIntToIPv6Groups(start);
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const labels = groups.map((g) => g.toString(16));
  if (best >= 0) labels.splice(best, bestLen, 'zz');
  return `${prefix}.${labels.reverse().join('.')}.rpz-ip`;
}
