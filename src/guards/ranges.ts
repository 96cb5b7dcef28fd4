import { ipv4ToUint32, ipv6ToBigInt, parseIPv6 } from '../indicators/address.js';

/** An address range of one family, as integers (IPv4 in the low 32 bits). */
export interface Span {
  family: 4 | 6;
  start: bigint;
  end: bigint;
  prefix: number;
}

/** An address or CIDR in canonical text as a span; undefined for anything else. */
export function spanOf(text: string): Span | undefined {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const v6 = address.includes(':');
  const width = v6 ? 128 : 32;
  const prefix = slash < 0 ? width : Number(text.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > width) return undefined;
  let start: bigint;
  if (v6) {
    const groups = parseIPv6(address);
    if (!groups) return undefined;
    start = ipv6ToBigInt(groups);
  } else {
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) return undefined;
    start = BigInt(ipv4ToUint32(address));
  }
  const hostBits = BigInt(width - prefix);
  start = (start >> hostBits) << hostBits;
  return { family: v6 ? 6 : 4, start, end: start | ((1n << hostBits) - 1n), prefix };
}

/** Named spans, searchable by overlap. Built once; small enough for a sorted array per family. */
export class SpanIndex<T> {
  private readonly byFamily: Record<4 | 6, Array<{ span: Span; value: T }>> = { 4: [], 6: [] };
  private widest: Record<4 | 6, bigint> = { 4: 0n, 6: 0n };

  add(span: Span, value: T): void {
    this.byFamily[span.family].push({ span, value });
    const size = span.end - span.start;
    if (size > this.widest[span.family]) this.widest[span.family] = size;
  }

  /** Call after the last add. */
  seal(): this {
    for (const list of Object.values(this.byFamily)) list.sort((a, b) => (a.span.start < b.span.start ? -1 : a.span.start > b.span.start ? 1 : 0));
    return this;
  }

  /** The first indexed span that overlaps `span`, with its value. */
  overlapping(span: Span): { span: Span; value: T } | undefined {
    const list = this.byFamily[span.family];
    // Every candidate starts at or after span.start - widest, and at or before span.end.
    let lo = 0;
    let hi = list.length;
    const from = span.start - this.widest[span.family];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.span.start < from) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < list.length && list[i]!.span.start <= span.end; i++) {
      const item = list[i]!;
      if (item.span.end >= span.start) return item;
    }
    return undefined;
  }

  get size(): number {
    return this.byFamily[4].length + this.byFamily[6].length;
  }
}
