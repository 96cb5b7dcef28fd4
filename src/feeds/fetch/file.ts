import { readFile, stat } from 'node:fs/promises';
import { FeedFetchError } from '../../errors.js';
import { decompressBody } from './decompress.js';
import type { FetchOptions, FetchOutcome } from './types.js';

/** Reads a feed from a local path (gzip allowed), within the same size cap as downloads. */
export async function fetchFile(options: FetchOptions): Promise<FetchOutcome> {
  try {
    const info = await stat(options.url);
    if (!info.isFile()) throw new Error('not a regular file');
    if (info.size > options.maxBytes) throw new Error(`file larger than the ${options.maxBytes}-byte limit`);
    const raw = await readFile(options.url);
    return { kind: 'body', body: await decompressBody(raw, undefined, options.maxBytes) };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new FeedFetchError(options.feed, `${options.url}: ${e.code ?? e.message}`, { cause: err });
  }
}
