import {
  CLASS_IN,
  encodeName,
  HEADER_BYTES,
  RCODE_BADVERS,
  RCODE_NOERROR,
  RCODE_NXDOMAIN,
  RCODE_REFUSED,
  TYPE_A,
  TYPE_AAAA,
  TYPE_OPT,
  TYPE_SOA,
  type Query,
} from './wire.js';

/** UDP payload size the gateway advertises (the DNS Flag Day 2020 value). */
export const ADVERTISED_UDP_SIZE = 1232;
/** Extended DNS Error code 15, "Blocked" (RFC 8914 section 4.16). */
const EDE_BLOCKED = 15;
const EDE_OPTION = 15;

export type BlockResponse = 'nxdomain' | 'nodata' | 'sinkhole' | 'refused';

export interface BlockSettings {
  response: BlockResponse;
  /** TTL of sinkhole records and of the SOA that sets negative caching, seconds. */
  ttl: number;
  ipv4: Buffer;
  ipv6: Buffer;
}

/** Zone names written into the synthesized SOA; .invalid is reserved (RFC 6761) and never resolves. */
const SOA_MNAME = encodeName('sinkhole.sluice.invalid');
const SOA_RNAME = encodeName('hostmaster.sluice.invalid');
/** A pointer to the question name at offset 12. */
const QNAME_POINTER = Buffer.from([0xc0, HEADER_BYTES]);

interface ReplyParts {
  rcode: number;
  answers?: Buffer[];
  authority?: Buffer[];
  /** OPT options to send when the client used EDNS. */
  options?: Buffer[];
}

/**
 * A reply that echoes the client's header id, opcode, RD and CD bits and its question bytes
 * exactly, then the given records. An OPT record is added only when the query had one.
 */
export function buildReply(msg: Uint8Array, query: Query, parts: ReplyParts): Buffer {
  const answers = parts.answers ?? [];
  const authority = parts.authority ?? [];
  const opt = query.edns ? optRecord(parts.rcode >> 4, parts.options ?? []) : undefined;
  const questionBytes = query.questionEnd - HEADER_BYTES;

  // One allocation for the whole reply: this runs for every blocked query.
  let size = HEADER_BYTES + questionBytes + (opt?.length ?? 0);
  for (const r of answers) size += r.length;
  for (const r of authority) size += r.length;
  const out = Buffer.allocUnsafe(size);
  out.writeUInt16BE(query.id, 0);
  // QR=1, opcode, RD and CD copied, RA=1; AA, TC and AD clear.
  out.writeUInt16BE(0x8000 | (query.flags & 0x7900) | 0x0080 | (query.flags & 0x0010) | (parts.rcode & 0xf), 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(answers.length, 6);
  out.writeUInt16BE(authority.length, 8);
  out.writeUInt16BE(opt ? 1 : 0, 10);
  out.set(msg.subarray(HEADER_BYTES, query.questionEnd), HEADER_BYTES);
  let at = HEADER_BYTES + questionBytes;
  for (const r of answers) at += r.copy(out, at);
  for (const r of authority) at += r.copy(out, at);
  if (opt) opt.copy(out, at);
  return out;
}

/** A header-only error reply for a query whose question could not be read (FORMERR and the like). */
export function buildHeaderOnlyReply(id: number, flags: number, rcode: number): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x8000 | (flags & 0x7900) | 0x0080 | (rcode & 0xf), 2);
  return header;
}

/** The reply to a blocked name, shaped by `dns.block_response`. */
export function buildBlockReply(msg: Uint8Array, query: Query, settings: BlockSettings): Buffer {
  if (query.edns && query.edns.version > 0) return buildBadVersReply(msg, query);
  const options = EDE_BLOCKED_OPTIONS;
  switch (settings.response) {
    case 'refused':
      return buildReply(msg, query, { rcode: RCODE_REFUSED, options });
    case 'nxdomain':
      return buildReply(msg, query, { rcode: RCODE_NXDOMAIN, authority: [soaRecord(settings.ttl)], options });
    case 'nodata':
      return buildReply(msg, query, { rcode: RCODE_NOERROR, authority: [soaRecord(settings.ttl)], options });
    case 'sinkhole': {
      const address = query.qtype === TYPE_A ? settings.ipv4 : query.qtype === TYPE_AAAA ? settings.ipv6 : undefined;
      // Types other than A and AAAA have no sinkhole form: they get an empty answer (NODATA).
      if (!address) return buildReply(msg, query, { rcode: RCODE_NOERROR, authority: [soaRecord(settings.ttl)], options });
      return buildReply(msg, query, {
        rcode: RCODE_NOERROR,
        answers: [addressRecord(query.qtype, address, settings.ttl)],
        options,
      });
    }
  }
}

/** RFC 6891 6.1.3: an EDNS version we do not speak gets BADVERS, with our version (0). */
export function buildBadVersReply(msg: Uint8Array, query: Query): Buffer {
  return buildReply(msg, query, { rcode: RCODE_BADVERS });
}

/** A record owned by the question name (a pointer to it), class IN. */
function questionRecord(type: number, ttl: number, rdata: Buffer): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(type, 0);
  fixed.writeUInt16BE(CLASS_IN, 2);
  fixed.writeUInt32BE(ttl, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([QNAME_POINTER, fixed, rdata]);
}

function addressRecord(type: number, address: Buffer, ttl: number): Buffer {
  return questionRecord(type, ttl, address);
}

/** The SOA of each block TTL in use, built once: it is the same bytes for every blocked query. */
const soaRecords = new Map<number, Buffer>();

/** An SOA owned by the question name; its minimum field caps how long resolvers cache the block. */
function soaRecord(ttl: number): Buffer {
  let record = soaRecords.get(ttl);
  if (!record) {
    record = buildSoaRecord(ttl);
    soaRecords.set(ttl, record);
  }
  return record;
}

function buildSoaRecord(ttl: number): Buffer {
  const timers = Buffer.alloc(20);
  timers.writeUInt32BE(1, 0); // serial
  timers.writeUInt32BE(3600, 4); // refresh
  timers.writeUInt32BE(600, 8); // retry
  timers.writeUInt32BE(86400, 12); // expire
  timers.writeUInt32BE(ttl, 16); // minimum: the negative-caching TTL (RFC 2308)
  return questionRecord(TYPE_SOA, ttl, Buffer.concat([SOA_MNAME, SOA_RNAME, timers]));
}

/** OPT records by extended rcode for the EDE Blocked option, which every block reply carries. */
const blockedOpts = new Map<number, Buffer>();

function optRecord(extendedRcode: number, options: Buffer[]): Buffer {
  if (options === EDE_BLOCKED_OPTIONS) {
    let record = blockedOpts.get(extendedRcode);
    if (!record) {
      record = buildOptRecord(extendedRcode, options);
      blockedOpts.set(extendedRcode, record);
    }
    return record;
  }
  return buildOptRecord(extendedRcode, options);
}

function buildOptRecord(extendedRcode: number, options: Buffer[]): Buffer {
  const rdata = Buffer.concat(options);
  const record = Buffer.alloc(11);
  record[0] = 0; // root owner
  record.writeUInt16BE(TYPE_OPT, 1);
  record.writeUInt16BE(ADVERTISED_UDP_SIZE, 3);
  record[5] = extendedRcode & 0xff;
  record[6] = 0; // version 0
  record.writeUInt16BE(0, 7); // DO and Z clear: the gateway does not sign or validate
  record.writeUInt16BE(rdata.length, 9);
  return Buffer.concat([record, rdata]);
}

const EDE_BLOCKED_OPTIONS = [edeBlocked()];

function edeBlocked(): Buffer {
  const option = Buffer.alloc(6);
  option.writeUInt16BE(EDE_OPTION, 0);
  option.writeUInt16BE(2, 2);
  option.writeUInt16BE(EDE_BLOCKED, 4);
  return option;
}
