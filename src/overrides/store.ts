import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from '../errors.js';
import type { IndicatorType } from '../indicators/types.js';

/** An operator's own block or allow entry, added through the admin API. */
export interface Override {
  type: IndicatorType;
  /** Canonical value, as the set holds it. */
  value: string;
  action: 'block' | 'allow';
  reason: string;
  /** The name of the token that added it. */
  by: string;
  /** Epoch seconds. */
  created: number;
  expires?: number;
}

const FILE = 'overrides.json';

/**
 * Manual entries in `data_dir/overrides.json`. Writes go to a temporary file renamed over the
 * old one, so a crash mid-write leaves the previous list, never half of one.
 */
export class OverrideFile {
  readonly path: string;

  constructor(private readonly dataDir: string) {
    this.path = join(dataDir, FILE);
  }

  /** Every entry on disk; none when the file does not exist yet. */
  async load(): Promise<Override[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new StoreError(`${this.path}: cannot read manual entries: ${(err as Error).message}`);
    }
    try {
      const doc = JSON.parse(text) as { entries?: unknown };
      if (!Array.isArray(doc.entries)) throw new Error('no "entries" array');
      return doc.entries as Override[];
    } catch (err) {
      throw new StoreError(`${this.path}: manual entries are not readable JSON: ${(err as Error).message}`);
    }
  }

  async save(entries: readonly Override[]): Promise<void> {
    await mkdir(this.dataDir, { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify({ entries }, null, 1)}\n`);
    await rename(tmp, this.path);
  }
}

/** Entries still in force at `now` (epoch seconds). */
export function liveOverrides(entries: readonly Override[], now: number): Override[] {
  return entries.filter((e) => e.expires === undefined || e.expires > now);
}
