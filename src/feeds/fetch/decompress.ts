import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate } from 'node:zlib';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);
const brotliAsync = promisify(brotliDecompress);

/**
 * Decompresses a body by its Content-Encoding, or by the gzip magic bytes for `.gz` files
 * served as plain bytes. Runs on the thread pool, and stops at `maxBytes` of output so a small
 * compressed body cannot expand into all of memory. Truncated input throws.
 */
export async function decompressBody(body: Buffer, encoding: string | undefined, maxBytes: number): Promise<Buffer> {
  const enc = (encoding ?? '').trim().toLowerCase();
  const options = { maxOutputLength: maxBytes };
  if (enc === 'gzip' || enc === 'x-gzip' || (enc === '' && isGzip(body))) return gunzipAsync(body, options);
  if (enc === 'deflate') return inflateAsync(body, options);
  if (enc === 'br') return brotliAsync(body, options);
  return body;
}

export function isGzip(body: Buffer): boolean {
  return body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
}
