import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Validators } from './fetch/index.js';

/** What is remembered about a feed's last good body. */
export interface CachedMeta extends Validators {
  url: string;
  /** Epoch seconds of the fetch that produced the body. */
  fetchedAt: number;
  /** Epoch seconds of the last fetch that confirmed it (a 304 or the same body). */
  confirmedAt: number;
  /** SHA-256 of the body, so an identical body is known without parsing it again. */
  digest?: string;
  /** What a collector keeps between polls (TAXII's added_after, MISP event timestamps). */
  collector?: unknown;
}

/**
 * The last good body of each feed, kept in `data_dir/feeds/`, so that a restart without
 * network serves the same set, and so conditional requests can be answered with 304.
 * Files are replaced atomically: a crash mid-write leaves the previous body in place.
 */
export class FeedCache {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'feeds');
  }

  private paths(feed: string) {
    return { body: join(this.dir, `${feed}.body`), meta: join(this.dir, `${feed}.json`) };
  }

  /** The cached meta for a feed, if any and if it belongs to the same url. */
  async meta(feed: string, url: string): Promise<CachedMeta | undefined> {
    try {
      const meta = JSON.parse(await readFile(this.paths(feed).meta, 'utf8')) as CachedMeta;
      return meta.url === url ? meta : undefined;
    } catch {
      return undefined;
    }
  }

  async body(feed: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.paths(feed).body);
    } catch {
      return undefined;
    }
  }

  async write(feed: string, body: Buffer, meta: CachedMeta): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const { body: bodyPath, meta: metaPath } = this.paths(feed);
    await writeAtomic(bodyPath, body);
    await writeAtomic(metaPath, JSON.stringify(meta));
  }

  async touch(feed: string, meta: CachedMeta): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeAtomic(this.paths(feed).meta, JSON.stringify(meta));
  }
}

/** Writes beside the target, then renames over it: readers see the old file or the new one. */
export async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}
