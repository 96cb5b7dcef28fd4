import { BadRequestError, SluiceError } from '../errors.js';
import { normalizeValue } from '../indicators/normalize/index.js';
import type { TypeHint } from '../indicators/types.js';
import type { Logger } from '../log.js';
import type { OverrideStorage } from './open.js';
import { liveOverrides, type Override } from './store.js';

export interface NewOverride {
  value: string;
  type?: TypeHint;
  action: 'block' | 'allow';
  reason: string;
  /** Epoch seconds. */
  expires?: number;
  by: string;
}

/**
 * Adds and removes manual entries for the admin API: writes the file, then has the syncer
 * publish a set that includes the change, and answers once that set is live. One change at
 * a time, so two requests never write over each other.
 */
export class OverrideAdmin {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly file: OverrideStorage,
    private readonly publish: () => Promise<number | undefined>,
    private readonly logger: Logger,
  ) {}

  async list(): Promise<Override[]> {
    return liveOverrides(await this.file.load(), Math.floor(Date.now() / 1000));
  }

  add(input: NewOverride): Promise<{ entry: Override; version: number | undefined }> {
    return this.serial(async () => {
      const normalized = normalizeValue(input.value, input.type ?? 'auto');
      if (normalized.values.length !== 1) {
        throw new BadRequestError('value', `gives ${normalized.values.length} indicators; add a single value`);
      }
      const canonical = normalized.values[0]!;
      const now = Math.floor(Date.now() / 1000);
      const entry: Override = { type: canonical.type, value: canonical.value, action: input.action, reason: input.reason, by: input.by, created: now };
      if (input.expires !== undefined) entry.expires = input.expires;
      const entries = (await this.file.load()).filter((e) => !(e.type === entry.type && e.value === entry.value));
      entries.push(entry);
      await this.file.save(entries);
      this.logger.warn({ value: entry.value, type: entry.type, action: entry.action, reason: entry.reason, by: entry.by, expires: entry.expires }, 'manual entry added');
      return { entry, version: await this.publish() };
    });
  }

  remove(value: string, by: string): Promise<{ removed: Override[]; version: number | undefined }> {
    return this.serial(async () => {
      const normalized = normalizeValue(value, 'auto');
      const keys = new Set(normalized.values.map((v) => `${v.type}:${v.value}`));
      const entries = await this.file.load();
      const removed = entries.filter((e) => keys.has(`${e.type}:${e.value}`));
      if (removed.length === 0) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no manual entry for ${value}`);
      await this.file.save(entries.filter((e) => !keys.has(`${e.type}:${e.value}`)));
      this.logger.warn({ value, by, removed: removed.length }, 'manual entry removed');
      return { removed, version: await this.publish() };
    });
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work, work);
    this.chain = run.catch(() => undefined);
    return run;
  }
}
