import type { Matcher } from '../match/matcher.js';
import { blocks, cidrInterval, type Interval } from './aggregate.js';

/**
 * The lines of an IP list with the allowlist carved out. A firewall cannot be told "this /24
 * except 1.1.1.1", so a listed network that holds allowlisted addresses is written as the
 * fewest CIDRs covering the rest, and a listed address inside an allowed network is left out:
 * the list never blocks what `/v1/verdict` would allow.
 */
export function ipListLines(matcher: Matcher, entries: readonly number[]): string[] {
  const carve = ipCarver(matcher);
  const lines: string[] = [];
  for (const entry of entries) {
    const value = matcher.entryValue(entry);
    const parts = carve(value);
    if (parts.length === 1 && parts[0]!.whole) lines.push(value);
    else for (const part of parts) lines.push(...blocks(part));
  }
  return lines;
}

/** A carved part; `whole` when nothing was carved, so callers can keep the entry's own text. */
export type CarvedPart = Interval & { whole?: boolean };

/**
 * What is left of a listed address or network once the allowlist is carved out of it. The
 * allowed ranges are read once per matcher, so carving a whole list costs one scan.
 */
export function ipCarver(matcher: Matcher): (value: string) => CarvedPart[] {
  const allowed = allowedIntervals(matcher);
  return (value) => {
    const own = cidrInterval(value);
    const holes = allowed[own.family].filter((a) => a.start <= own.end && a.end >= own.start);
    return holes.length === 0 ? [{ ...own, whole: true }] : subtract(own, holes);
  };
}

function allowedIntervals(matcher: Matcher): Record<4 | 6, Interval[]> {
  const out: Record<4 | 6, Interval[]> = { 4: [], 6: [] };
  for (let e = 0; e < matcher.size; e++) {
    const type = matcher.entryType(e);
    if (!matcher.entryAllowed(e) || (type !== 'ipv4' && type !== 'ipv6' && type !== 'cidr')) continue;
    const interval = cidrInterval(matcher.entryValue(e));
    out[interval.family].push(interval);
  }
  for (const list of [out[4], out[6]]) list.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  return out;
}

/** `whole` minus sorted, possibly overlapping `holes`. */
function subtract(whole: Interval, holes: Interval[]): Interval[] {
  const out: Interval[] = [];
  let cursor = whole.start;
  for (const hole of holes) {
    if (hole.start > cursor) out.push({ family: whole.family, start: cursor, end: hole.start - 1n < whole.end ? hole.start - 1n : whole.end });
    if (hole.end + 1n > cursor) cursor = hole.end + 1n;
    if (cursor > whole.end) return out;
  }
  if (cursor <= whole.end) out.push({ family: whole.family, start: cursor, end: whole.end });
  return out;
}
