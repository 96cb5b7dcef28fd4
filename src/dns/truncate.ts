import { HEADER_BYTES, readName, readUint16, TYPE_OPT } from './wire.js';

/** Owner (the root, one byte) and fixed fields of an OPT record. */
const OPT_FIXED_BYTES = 11;

/**
 * Cuts a reply that does not fit the client's UDP buffer down to its header and question with
 * TC set (RFC 2181 9, RFC 1035 4.2.1), telling the client to ask again over TCP. The reply's
 * OPT record is kept, without its options (RFC 6891 7: a reply to an EDNS query carries an OPT).
 */
export function truncateReply(reply: Buffer, questionLength: number): Buffer {
  const out = Buffer.from(reply.subarray(0, HEADER_BYTES + questionLength));
  const opt = optHead(reply, HEADER_BYTES + questionLength);
  out.writeUInt16BE(out.readUInt16BE(2) | 0x0200, 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(opt ? 1 : 0, 10);
  return opt ? Buffer.concat([out, opt]) : out;
}

/**
 * The OPT record of a reply with its options dropped, so the cut reply stays small; its
 * extended RCODE, version and DO bit are the upstream's. Undefined when there is none or the
 * records cannot be walked.
 */
function optHead(reply: Buffer, start: number): Buffer | undefined {
  const records = readUint16(reply, 6) + readUint16(reply, 8) + readUint16(reply, 10);
  let at = start;
  for (let i = 0; i < records; i++) {
    const owner = readName(reply, at);
    if (typeof owner === 'string' || owner.end + 10 > reply.length) return undefined;
    const end = owner.end + 10 + readUint16(reply, owner.end + 8);
    if (end > reply.length) return undefined;
    if (readUint16(reply, owner.end) === TYPE_OPT && owner.end === at + 1) {
      const head = Buffer.from(reply.subarray(at, at + OPT_FIXED_BYTES));
      head.writeUInt16BE(0, 9); // no options
      return head;
    }
    at = end;
  }
  return undefined;
}
