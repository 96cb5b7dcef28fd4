import { HEADER_BYTES } from './wire.js';

/**
 * Cuts a reply that does not fit the client's UDP buffer down to its header and question with
 * TC set (RFC 2181 9, RFC 1035 4.2.1), telling the client to ask again over TCP.
 */
export function truncateReply(reply: Buffer, questionLength: number): Buffer {
  const out = Buffer.from(reply.subarray(0, HEADER_BYTES + questionLength));
  out.writeUInt16BE(out.readUInt16BE(2) | 0x0200, 2);
  out.writeUInt16BE(1, 4);
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(0, 10);
  return out;
}
