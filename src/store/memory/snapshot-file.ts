import { StoreError } from '../../errors.js';
import type { SetImage } from '../types.js';

/**
 * One file holding a whole set version:
 *
 *   "SLUICE01"  u32 LE header length  header JSON  pad to 8
 *   section bytes, each starting on an 8-byte boundary
 *
 * The header lists every section's name, offset and length. Alignment lets a reader take
 * typed-array views straight over the file's bytes without copying them.
 */
const MAGIC = Buffer.from('SLUICE01', 'latin1');
const ALIGN = 8;

const pad = (n: number) => (ALIGN - (n % ALIGN)) % ALIGN;

export function packImage(image: SetImage): Buffer[] {
  const layout: Array<{ name: string; offset: number; length: number }> = [];
  let offset = 0;
  for (const [name, bytes] of Object.entries(image.sections)) {
    layout.push({ name, offset, length: bytes.byteLength });
    offset += bytes.byteLength + pad(bytes.byteLength);
  }
  const header = Buffer.from(JSON.stringify({ meta: image.meta, sections: layout }), 'utf8');
  const prefix = Buffer.alloc(MAGIC.length + 4);
  MAGIC.copy(prefix);
  prefix.writeUInt32LE(header.length, MAGIC.length);

  const parts: Buffer[] = [prefix, header, Buffer.alloc(pad(prefix.length + header.length))];
  for (const bytes of Object.values(image.sections)) {
    parts.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), Buffer.alloc(pad(bytes.byteLength)));
  }
  return parts;
}

export function unpackImage(file: Buffer, where: string): SetImage {
  if (file.length < MAGIC.length + 4 || !file.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new StoreError(`${where}: not a sluice set snapshot`);
  }
  const headerLength = file.readUInt32LE(MAGIC.length);
  const headerEnd = MAGIC.length + 4 + headerLength;
  let header: { meta: SetImage['meta']; sections: Array<{ name: string; offset: number; length: number }> };
  try {
    header = JSON.parse(file.subarray(MAGIC.length + 4, headerEnd).toString('utf8'));
  } catch {
    throw new StoreError(`${where}: snapshot header is corrupt`);
  }
  const dataStart = headerEnd + pad(headerEnd);
  const sections: Record<string, Uint8Array> = {};
  for (const s of header.sections) {
    const start = dataStart + s.offset;
    if (start + s.length > file.length) throw new StoreError(`${where}: snapshot is truncated`);
    sections[s.name] = new Uint8Array(file.buffer, file.byteOffset + start, s.length);
  }
  return { meta: header.meta, sections };
}
