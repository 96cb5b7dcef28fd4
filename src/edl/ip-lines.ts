import { ipv4ToUint32, ipv6ToBigInt, parseIPv6 } from '../indicators/address.js';
import { rangeToCidrs } from '../indicators/normalize/ip.js';
import type { Matcher } from '../match/matcher.js';

interface Interval {
  start: bigint;
  end: bigint;
}

/**
 * The lines of an IP list with the allowlist carved out. A firewall cannot be told "this /24
 * except 1.1.1.1", so a listed network that holds allowlisted addresses is written as the
 * fewest CIDRs covering the rest, and a listed address inside an allowed network is left out:
 * the list never blocks what `/v1/verdict` would allow.
 */
export function ipListLines(matcher: Matcher, entries: readonly number[]): string[] {
  const allowed = allowedIntervals(matcher);
  const lines: string[] = [];
  for (const entry of entries) {
    const value = matcher.entryValue(entry);
    const family = value.includes(':') ? 6 : 4;
    const own = toInterval(value);
    const holes = allowed[family].filter((a) => a.start <= own.end && a.end >= own.start);
    if (holes.length === 0) {
      lines.push(value);
      continue;
    }
    for (const part of subtract(own, holes)) lines.push(...cidrsOf(part, family));
  }
  return lines;
}

function allowedIntervals(matcher: Matcher): Record<4 | 6, Interval[]> {
  const out: Record<4 | 6, Interval[]> = { 4: [], 6: [] };
  for (let e = 0; e < matcher.size; e++) {
    const type = matcher.entryType(e);
    if (!matcher.entryAllowed(e) || (type !== 'ipv4' && type !== 'ipv6' && type !== 'cidr')) continue;
    const value = matcher.entryValue(e);
    out[value.includes(':') ? 6 : 4].push(toInterval(value));
  }
  for (const list of [out[4], out[6]]) list.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  return out;
}

function toInterval(value: string): Interval {
  const [address, prefixText] = value.split('/') as [string, string | undefined];
  const v6 = address.includes(':');
  const bits = v6 ? 128 : 32;
  const start = v6 ? ipv6ToBigInt(parseIPv6(address)!) : BigInt(ipv4ToUint32(address));
  const host = BigInt(bits - (prefixText === undefined ? bits : Number(prefixText)));
  return { start, end: start | ((1n << host) - 1n) };
}

/** `whole` minus sorted, possibly overlapping `holes`. */
function subtract(whole: Interval, holes: Interval[]): Interval[] {
  const out: Interval[] = [];
  let cursor = whole.start;
  for (const hole of holes) {
    if (hole.start > cursor) out.push({ start: cursor, end: hole.start - 1n < whole.end ? hole.start - 1n : whole.end });
    if (hole.end + 1n > cursor) cursor = hole.end + 1n;
    if (cursor > whole.end) return out;
  }
  if (cursor <= whole.end) out.push({ start: cursor, end: whole.end });
  return out;
}

function cidrsOf(part: Interval, family: 4 | 6): string[] {
  const text = (v: bigint) => (family === 4 ? formatV4(v) : formatV6(v));
  // Any range fits in at most two CIDRs per bit of address.
  return rangeToCidrs('carve', text(part.start), text(part.end), family === 4 ? 64 : 256).map((c) => c.value);
}

function formatV4(v: bigint): string {
  const n = Number(v);
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function formatV6(v: bigint): string {
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((v >> BigInt(i * 16)) & 0xffffn).toString(16));
  return groups.join(':');
}
