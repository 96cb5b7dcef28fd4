import { HEADER_BYTES, readName, readUint16, TYPE_A, TYPE_AAAA, TYPE_CNAME, TYPE_OPT, TYPE_SOA } from './wire.js';

const TYPE_DNAME = 39;
const TYPE_SVCB = 64;
const TYPE_HTTPS = 65;
const SVC_IPV4HINT = 4;
const SVC_IPV6HINT = 6;

/** One resource record of a reply, located in the message. */
export interface RecordRef {
  section: 'answer' | 'authority' | 'additional';
  type: number;
  /** Offset of the 32-bit TTL, so a cached reply can age it in place. */
  ttlAt: number;
  ttl: number;
  rdataAt: number;
  rdlength: number;
}

/**
 * Walks every record after the question. Returns undefined for a reply that does not parse
 * to the end: such a reply is never cached. `answersOf` still reads what did parse, so a
 * malformed trailing record cannot hide a blocked answer from inspection.
 */
export function walkRecords(msg: Uint8Array, questionEnd: number): RecordRef[] | undefined {
  const { records, complete } = walkPrefix(msg, questionEnd);
  return complete ? records : undefined;
}

/** The records that parse, in order, and whether the whole message did. */
export function walkPrefix(msg: Uint8Array, questionEnd: number): { records: RecordRef[]; complete: boolean } {
  if (msg.length < HEADER_BYTES) return { records: [], complete: false };
  const counts: Array<[RecordRef['section'], number]> = [
    ['answer', readUint16(msg, 6)],
    ['authority', readUint16(msg, 8)],
    ['additional', readUint16(msg, 10)],
  ];
  const out: RecordRef[] = [];
  let at = questionEnd;
  for (const [section, count] of counts) {
    for (let i = 0; i < count; i++) {
      const owner = readName(msg, at);
      if (typeof owner === 'string') return { records: out, complete: false };
      at = owner.end;
      if (at + 10 > msg.length) return { records: out, complete: false };
      const rdlength = readUint16(msg, at + 8);
      if (at + 10 + rdlength > msg.length) return { records: out, complete: false };
      const ttl = ((msg[at + 4]! << 24) >>> 0) + (msg[at + 5]! << 16) + (msg[at + 6]! << 8) + msg[at + 7]!;
      out.push({ section, type: readUint16(msg, at), ttlAt: at + 4, ttl, rdataAt: at + 10, rdlength });
      at += 10 + rdlength;
    }
  }
  return { records: out, complete: true };
}

/** What an upstream answer points at: names it aliases to, and addresses it gives. */
export interface AnswerTargets {
  names: string[];
  addresses: Array<{ family: 4 | 6; bytes: Uint8Array }>;
}

/**
 * The names and addresses an answer leads to: CNAME and DNAME targets, A and AAAA addresses,
 * and the address hints of HTTPS and SVCB records, which clients connect to directly.
 */
export function answerTargets(msg: Uint8Array, records: readonly RecordRef[]): AnswerTargets {
  const out: AnswerTargets = { names: [], addresses: [] };
  for (const r of records) {
    if (r.section !== 'answer') continue;
    if (r.type === TYPE_CNAME || r.type === TYPE_DNAME) {
      const target = readName(msg, r.rdataAt);
      if (typeof target !== 'string') out.names.push(target.text);
    } else if (r.type === TYPE_A && r.rdlength === 4) {
      out.addresses.push({ family: 4, bytes: msg.subarray(r.rdataAt, r.rdataAt + 4) });
    } else if (r.type === TYPE_AAAA && r.rdlength === 16) {
      out.addresses.push({ family: 6, bytes: msg.subarray(r.rdataAt, r.rdataAt + 16) });
    } else if (r.type === TYPE_HTTPS || r.type === TYPE_SVCB) {
      svcHints(msg, r, out);
    }
  }
  return out;
}

/** SvcParams (RFC 9460): priority, target name, then key/length/value triples. */
function svcHints(msg: Uint8Array, r: RecordRef, out: AnswerTargets): void {
  const end = r.rdataAt + r.rdlength;
  const target = readName(msg, r.rdataAt + 2);
  if (typeof target === 'string' || target.end > end) return;
  if (target.text !== '') out.names.push(target.text);
  for (let at = target.end; at + 4 <= end; ) {
    const key = readUint16(msg, at);
    const length = readUint16(msg, at + 2);
    const value = at + 4;
    if (value + length > end) return;
    if (key === SVC_IPV4HINT) for (let p = value; p + 4 <= value + length; p += 4) out.addresses.push({ family: 4, bytes: msg.subarray(p, p + 4) });
    if (key === SVC_IPV6HINT) for (let p = value; p + 16 <= value + length; p += 16) out.addresses.push({ family: 6, bytes: msg.subarray(p, p + 16) });
    at = value + length;
  }
}

/**
 * How long a reply may be cached, in seconds: the smallest TTL of its records; for a negative
 * answer, the SOA's TTL capped by its minimum field (RFC 2308). Undefined: do not cache.
 */
export function cacheTtl(msg: Uint8Array, records: readonly RecordRef[]): number | undefined {
  const rcode = msg[3]! & 0xf;
  const answers = records.filter((r) => r.section === 'answer');
  if (rcode === 0 && answers.length) return Math.min(...records.filter((r) => r.type !== TYPE_OPT).map((r) => r.ttl));
  if (rcode !== 0 && rcode !== 3) return undefined;
  const soa = records.find((r) => r.section === 'authority' && r.type === TYPE_SOA);
  if (!soa || soa.rdlength < 22) return undefined;
  const minimumAt = soa.rdataAt + soa.rdlength - 4;
  const minimum = ((msg[minimumAt]! << 24) >>> 0) + (msg[minimumAt + 1]! << 16) + (msg[minimumAt + 2]! << 8) + msg[minimumAt + 3]!;
  return Math.min(soa.ttl, minimum);
}
