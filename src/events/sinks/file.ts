import { createWriteStream, statSync, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { HitEvent, Sink } from '../types.js';

/**
 * Events as JSON lines in `path`, rotated by size as the query log is (`path.1` … `path.keep`,
 * the oldest removed). The bus sends one batch at a time and waits for the write, so a disk
 * that falls behind fills this sink's queue, where drops are counted, instead of memory here.
 */
export class FileSink implements Sink {
  readonly name = 'file';
  private stream: WriteStream | undefined;
  private size: number;

  constructor(
    private readonly path: string,
    private readonly maxBytes: number,
    private readonly keep: number,
  ) {
    this.size = sizeOf(path);
  }

  async send(batch: readonly HitEvent[]): Promise<void> {
    let chunk = '';
    for (const event of batch) chunk += `${JSON.stringify(event)}\n`;
    const stream = (this.stream ??= this.open());
    try {
      await write(stream, chunk);
    } catch (err) {
      // A stream that failed is done for; the next batch opens the file again.
      if (this.stream === stream) this.stream = undefined;
      stream.destroy();
      throw err;
    }
    this.size += Buffer.byteLength(chunk);
    if (this.size >= this.maxBytes) await this.rotate();
  }

  private open(): WriteStream {
    // Hit events name clients: not for every local user to read.
    const stream = createWriteStream(this.path, { flags: 'a', mode: 0o640 });
    stream.on('error', () => undefined); // reported through the write that meets it
    return stream;
  }

  private async rotate(): Promise<void> {
    const old = this.stream;
    this.stream = undefined;
    if (old) await end(old);
    await rm(`${this.path}.${this.keep}`, { force: true });
    for (let i = this.keep - 1; i >= 1; i--) await renameIfThere(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    await renameIfThere(this.path, `${this.path}.1`);
    this.size = 0;
    this.stream = this.open(); // the file is there again at once, for whoever follows it
  }

  async close(): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    if (stream) await end(stream);
  }
}

function write(stream: WriteStream, chunk: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    stream.once('error', onError);
    stream.write(chunk, (err) => {
      stream.off('error', onError);
      if (err) reject(err);
      else resolve();
    });
  });
}

function end(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed) return resolve();
    stream.once('error', () => resolve());
    stream.end(() => resolve());
  });
}

async function renameIfThere(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch {
    // that generation does not exist yet, or someone moved it: rotation goes on regardless
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
