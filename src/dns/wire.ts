/**
 * Reading DNS queries straight from the wire (RFC 1035 section 4). Only what the gateway needs
 * is read: the header, the single question (its bytes are echoed back exactly as the client
 * sent them, so letter case and odd labels survive) and the EDNS OPT record (RFC 6891).
 * Every read is bounds-checked; a message that breaks a rule yields a reason, never a throw.
 */

export const HEADER_BYTES = 12;
const MAX_NAME_OCTETS = 255;
const MAX_POINTER_JUMPS = 64;

export const TYPE_A = 1;
export const TYPE_NS = 2;
export const TYPE_CNAME = 5;
export const TYPE_SOA = 6;
export const TYPE_AAAA = 28;
export const TYPE_OPT = 41;
export const CLASS_IN = 1;

export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_NOTIMP = 4;
export const RCODE_REFUSED = 5;
/** Extended RCODE 16 (RFC 6891 6.1.3): upper 8 bits go in the OPT TTL, lower 4 in the header. */
export const RCODE_BADVERS = 16;

export interface Edns {
  udpSize: number;
  version: number;
  dnssecOk: boolean;
}

export interface Query {
  id: number;
  /** Header flags word (QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE). */
  flags: number;
  opcode: number;
  /** Lower-cased question name without the final dot; '' for the root. */
  name: string;
  /**
   * The name as a key unique to it: `name`, unless a label holds a dot, then the lower-cased
   * question bytes in hex (so `a.b` as one label and as two never share a cache entry).
   */
  exactName: string;
  qtype: number;
  qclass: number;
  /** Offset just past the question: bytes [12, questionEnd) are echoed in replies. */
  questionEnd: number;
  edns: Edns | undefined;
}

export type QueryParse =
  | { ok: true; query: Query }
  | { ok: false; reason: string; /** Set when the header was readable, so FORMERR can be sent. */ id?: number; flags?: number };

export function readUint16(msg: Uint8Array, at: number): number {
  return (msg[at]! << 8) | msg[at + 1]!;
}

/**
 * Parses a query. Refuses responses (QR set), messages whose question count is not one,
 * names over 255 octets, label types other than plain labels and pointers, and pointer loops.
 */
export function parseQuery(msg: Uint8Array): QueryParse {
  if (msg.length < HEADER_BYTES) return { ok: false, reason: 'shorter than a DNS header' };
  const id = readUint16(msg, 0);
  const flags = readUint16(msg, 2);
  const fail = (reason: string): QueryParse => ({ ok: false, reason, id, flags });
  if (flags & 0x8000) return { ok: false, reason: 'message is a response, not a query' };

  const qdcount = readUint16(msg, 4);
  if (qdcount !== 1) return fail(`question count is ${qdcount}, not 1`);

  const name = readName(msg, HEADER_BYTES);
  if (typeof name === 'string') return fail(name);
  const questionEnd = name.end + 4;
  if (questionEnd > msg.length) return fail('question is cut off');

  const records = readUint16(msg, 6) + readUint16(msg, 8) + readUint16(msg, 10);
  const edns = readEdns(msg, questionEnd, records, readUint16(msg, 10));
  if (typeof edns === 'string') return fail(edns);

  return {
    ok: true,
    query: {
      id,
      flags,
      opcode: (flags >> 11) & 0xf,
      name: name.text,
      exactName: hasDottedLabel(msg, HEADER_BYTES, name.end) ? `#${lowerHex(msg, HEADER_BYTES, name.end)}` : name.text,
      qtype: readUint16(msg, name.end),
      qclass: readUint16(msg, name.end + 2),
      questionEnd,
      edns,
    },
  };
}

/**
 * Reads a possibly compressed name at `offset`. Returns the lower-cased text and the offset just
 * past the name where it started, or a reason string. Pointers must point backwards and past
 * the header; a loop of backward pointers ends at MAX_POINTER_JUMPS or at 255 octets; length
 * bytes with the reserved 0x40 and 0x80 bits set are refused.
 */
export function readName(msg: Uint8Array, offset: number): { text: string; end: number } | string {
  // The text is written into one scratch buffer and decoded once: a string built a character
  // at a time came out as a rope that every later hash of the name had to flatten first.
  let length = 0;
  let at = offset;
  let end = -1;
  let octets = 1;
  for (let jumps = 0; ; ) {
    if (at >= msg.length) return 'name runs past the end of the message';
    const len = msg[at]!;
    if (len === 0) {
      if (end < 0) end = at + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (at + 1 >= msg.length) return 'name pointer is cut off';
      const target = ((len & 0x3f) << 8) | msg[at + 1]!;
      // No name lives in the header: a pointer there made a query's name out of its id and
      // flags, and the echoed question no longer parsed once the reply header replaced them.
      if (target < HEADER_BYTES) return 'name pointer into the header';
      if (target >= at || ++jumps > MAX_POINTER_JUMPS) return 'name pointer loops or points forward';
      if (end < 0) end = at + 2;
      at = target;
      continue;
    }
    if (kind !== 0) return 'label length uses reserved bits';
    octets += len + 1;
    if (octets > MAX_NAME_OCTETS) return 'name longer than 255 octets';
    if (at + 1 + len > msg.length) return 'label runs past the end of the message';
    if (length > 0) nameScratch[length++] = 46;
    for (let i = at + 1; i <= at + len; i++) {
      const c = msg[i]!;
      nameScratch[length++] = c >= 65 && c <= 90 ? c + 32 : c;
    }
    at += len + 1;
  }
  // latin1: every byte becomes the character of the same code, as label bytes may be anything.
  return { text: length === 0 ? '' : nameScratch.toString('latin1', 0, length), end };
}

/** Room for the longest name text: 255 octets on the wire make at most 253 characters. */
const nameScratch = Buffer.allocUnsafe(MAX_NAME_OCTETS);

/**
 * Whether any label holds a dot: then `name` (labels joined by dots, which is what matching
 * uses, so `bad.example`+`com` is checked as bad.example.com) is not unique to the name, and
 * anything keyed by it (the answer cache) must use `exactName` instead.
 */
function lowerHex(msg: Uint8Array, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i++) {
    const c = msg[i]!;
    out += (c >= 65 && c <= 90 ? c + 32 : c).toString(16).padStart(2, '0');
  }
  return out;
}

function hasDottedLabel(msg: Uint8Array, offset: number, end: number): boolean {
  for (let i = offset; i < end; i++) if (msg[i] === 46) return true;
  return false;
}

/** Walks the records after the question to find the OPT pseudo-record in the additional section. */
function readEdns(msg: Uint8Array, start: number, records: number, additional: number): Edns | undefined | string {
  let at = start;
  let edns: Edns | undefined;
  for (let i = 0; i < records; i++) {
    // The OPT record's owner is the root: one zero byte, read without building a name.
    let rootOwner = msg[at] === 0;
    if (rootOwner) at += 1;
    else {
      const owner = readName(msg, at);
      if (typeof owner === 'string') return `record ${i + 1}: ${owner}`;
      rootOwner = owner.text === '';
      at = owner.end;
    }
    if (at + 10 > msg.length) return `record ${i + 1} is cut off`;
    const type = readUint16(msg, at);
    const rdlength = readUint16(msg, at + 8);
    if (at + 10 + rdlength > msg.length) return `record ${i + 1} data is cut off`;
    if (type === TYPE_OPT) {
      const inAdditional = i >= records - additional;
      if (!inAdditional || !rootOwner || edns) return 'misplaced or repeated OPT record';
      edns = {
        udpSize: Math.max(512, readUint16(msg, at + 2)),
        version: msg[at + 5]!,
        dnssecOk: (msg[at + 6]! & 0x80) !== 0,
      };
    }
    at += 10 + rdlength;
  }
  return edns;
}

/** Encodes a name as uncompressed labels; for names the gateway writes itself (SOA fields). */
export function encodeName(name: string): Buffer {
  const labels = name === '' ? [] : name.split('.');
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'latin1');
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}
