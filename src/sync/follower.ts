import type { Logger } from '../log.js';
import { imageToSet } from '../match/codec.js';
import type { CompiledSet } from '../match/compiled-set.js';
import type { RedisStore } from '../store/redis/index.js';

/**
 * A gateway's side of scale-out: no fetching, just the versions the syncer writes to Redis,
 * picked up when announced (or polled) and swapped in. While Redis is unreachable the gateway
 * keeps serving the version it has and says so; it catches up when Redis returns.
 */
export class RedisFollower {
  private loading: Promise<void> = Promise.resolve();
  private current = 0;
  private createdAt = 0;
  degraded = false;

  constructor(
    private readonly store: RedisStore,
    private readonly onSet: (set: CompiledSet) => void,
    private readonly logger: Logger,
  ) {}

  /** Loads the current version before any socket opens (when Redis answers in time). */
  async loadLocal(): Promise<void> {
    try {
      await this.store.ready();
      await this.take(await this.store.currentVersion());
    } catch (err) {
      this.markDown(err as Error);
    }
  }

  /** Follows new versions until stopped. */
  run(): Promise<void> {
    this.store.watch(
      (v) => {
        this.loading = this.loading.then(() => this.take(v));
      },
      // Polls report the current version even when unchanged; take() skips those cheaply.
      (err) => this.markDown(err),
    );
    return Promise.resolve();
  }

  private async take(v: number | undefined): Promise<void> {
    if (v === undefined || v === this.current) return;
    try {
      const image = await this.store.load(v);
      if (!image) return;
      // An older id is taken only if it was built later: a Redis that lost its data numbers
      // versions from 1 again, and those are newer than what this gateway holds.
      const createdAt = Number(image.meta.createdAt ?? 0);
      if (v < this.current && createdAt <= this.createdAt) return;
      this.onSet(imageToSet(image));
      this.current = v;
      this.createdAt = createdAt;
      if (this.degraded) this.logger.info({ version: v }, 'redis is back; caught up');
      this.degraded = false;
    } catch (err) {
      this.markDown(err as Error);
    }
  }

  private markDown(err: Error): void {
    if (!this.degraded) this.logger.warn({ err: err.message, version: this.current || null }, 'redis unreachable; serving the version held');
    this.degraded = true;
  }

  async stop(): Promise<void> {
    await this.store.close();
  }
}
