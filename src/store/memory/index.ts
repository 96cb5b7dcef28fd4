import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from '../../errors.js';
import type { SetImage, SetStore } from '../types.js';
import { packImage, unpackImage } from './snapshot-file.js';

/**
 * The embedded store: the process holds the set in memory and keeps the current version in
 * `data_dir/set/current.set`, so a restart enforces the last set before any feed is fetched.
 */
export class MemoryStore implements SetStore {
  private readonly dir: string;
  private readonly file: string;
  private highest = 0;

  constructor(dataDir: string) {
    this.dir = join(dataDir, 'set');
    this.file = join(this.dir, 'current.set');
  }

  async loadLatest(): Promise<SetImage | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StoreError(`${this.file}: cannot read snapshot: ${(err as Error).message}`, { cause: err });
    }
    const image = unpackImage(bytes, this.file);
    this.highest = Math.max(this.highest, image.meta.version);
    return image;
  }

  /** Writes beside the snapshot, syncs, then renames over it: a crash or a full disk leaves the old one. */
  async save(image: SetImage): Promise<void> {
    this.highest = Math.max(this.highest, image.meta.version);
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      await mkdir(this.dir, { recursive: true });
      const handle = await open(tmp, 'w');
      try {
        for (const part of packImage(image)) {
          for (let done = 0; done < part.length; ) {
            done += (await handle.write(part, done, part.length - done)).bytesWritten;
          }
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, this.file);
    } catch (err) {
      throw new StoreError(`${this.file}: cannot write snapshot: ${(err as Error).message}`, { cause: err });
    }
  }

  async nextVersion(): Promise<number> {
    if (this.highest === 0) await this.loadLatest().catch(() => undefined);
    this.highest += 1;
    return this.highest;
  }

  async close(): Promise<void> {}
}
