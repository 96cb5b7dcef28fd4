import { createWriteStream, renameSync, statSync, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';

/** Lines waiting for the disk beyond this are dropped and counted, never buffered without bound. */
const MAX_PENDING_BYTES = 4_000_000;

export interface QueryLogEntry {
  client: string;
  name: string;
  qtype: number;
  action: string;
  indicator?: string;
}

/**
 * An optional log of every query as JSON lines, rotated by size (`path`, `path.1` … `path.N`).
 * Writing never waits: when the disk falls behind, lines are dropped and counted, so logging
 * can never slow an answer.
 */
export class QueryLog {
  private stream: WriteStream;
  private size: number;
  private rotating = false;
  dropped = 0;

  constructor(
    private readonly path: string,
    private readonly maxBytes: number,
    private readonly keep: number,
    private readonly onDrop: () => void = () => undefined,
  ) {
    this.size = sizeOf(path);
    this.stream = this.open();
  }

  private open(): WriteStream {
    const stream = createWriteStream(this.path, { flags: 'a' });
    stream.on('error', () => undefined);
    return stream;
  }

  write(entry: QueryLogEntry): void {
    if (this.rotating || this.stream.writableLength > MAX_PENDING_BYTES) {
      this.dropped++;
      this.onDrop();
      return;
    }
    const line = `${JSON.stringify({ ts: new Date().toISOString(), ...entry })}\n`;
    this.stream.write(line);
    this.size += Buffer.byteLength(line);
    if (this.size >= this.maxBytes) this.rotate();
  }

  private rotate(): void {
    this.rotating = true;
    const old = this.stream;
    old.end(() => {
      void (async () => {
        await rm(`${this.path}.${this.keep}`, { force: true });
        for (let i = this.keep - 1; i >= 1; i--) {
          try {
            renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
          } catch {
            // that generation does not exist yet
          }
        }
        try {
          renameSync(this.path, `${this.path}.1`);
        } catch {
          // removed by someone else: start a new file all the same
        }
        this.size = 0;
        this.stream = this.open();
        this.rotating = false;
      })();
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(() => resolve()));
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
