import { ipv4ToUint32 } from '../indicators/address.js';
import { parseAddress } from '../indicators/normalize/index.js';

/** Wire bytes of an address for A (4 bytes) or AAAA (16 bytes) records. */
export function ipBytes(text: string): Buffer {
  const address = parseAddress(text);
  if (!address) throw new Error(`${text}: not an IP address`);
  if (address.family === 4 && !text.includes(':')) {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(ipv4ToUint32(address.text), 0);
    return out;
  }
  const out = Buffer.alloc(16);
  const groups = address.v6 ?? [0, 0, 0, 0, 0, 0xffff, address.v4! >>> 16, address.v4! & 0xffff];
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}
