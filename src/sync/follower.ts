import type { Logger } from '../log.js';
import type { RedisStore } from '../store/redis/index.js';
import type { SetImage } from '../store/types.js';

/** How often a gateway refreshes the feed status the leading syncer keeps in Redis. */
const FEED_STATUS_MS = 5_000;

/**
 * A gateway's side of scale-out: no fetching, just the versions the syncer writes to Redis,
 * picked up when announced (or polled) and handed on. While Redis is unreachable the gateway
 * keeps serving the version it has and says so; it catches up when Redis returns.
 */
export class RedisFollower {
  private loading: Promise<void> = Promise.resolve();
  private current = 0;
  private createdAt = 0;
  private feeds: unknown[] | undefined;
  private statusTimer: NodeJS.Timeout | undefined;
  degraded = false;

  /**
   * `onImage` gets each new version, with the sections `wanted` accepts; it returns once the
   * version is in service.
   */
  constructor(
    private readonly store: RedisStore,
    private readonly onImage: (image: SetImage) => void,
    private readonly logger: Logger,
    private readonly wanted: (section: string) => boolean = () => true,
    private readonly onDegraded: (degraded: boolean) => void = () => undefined,
  ) {}

  /** The version being served, 0 before the first. */
  get version(): number {
    return this.current;
  }

  /** The leading syncer's feed status as last read from Redis. */
  feedStatus(): unknown[] {
    return this.feeds ?? [];
  }

  /** Loads the current version before any socket opens (when Redis answers in time). */
  async loadLocal(): Promise<void> {
    try {
      await this.store.ready();
      await this.take(await this.store.currentVersion());
      await this.refreshFeeds();
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
      // Redis answers again and nothing changed meanwhile: in service again.
      (v) => {
        if (v === this.current && this.degraded) {
          this.logger.info({ version: v }, 'redis is back');
          this.setDegraded(false);
        }
      },
    );
    this.statusTimer = setInterval(() => void this.refreshFeeds().catch(() => undefined), FEED_STATUS_MS);
    this.statusTimer.unref();
    return Promise.resolve();
  }

  /** Loads the current version now, without waiting for the next poll (the one held is gone). */
  refresh(): void {
    this.loading = this.loading.then(async () => this.take(await this.store.currentVersion())).catch((err: Error) => this.markDown(err));
  }

  private async refreshFeeds(): Promise<void> {
    this.feeds = (await this.store.readFeedStatus()) ?? this.feeds;
  }

  private async take(v: number | undefined): Promise<void> {
    if (v === undefined || v === this.current) return;
    try {
      const image = await this.store.load(v, this.wanted);
      if (!image) return;
      // An older id is taken only if it was built later: a Redis that lost its data numbers
      // versions from 1 again, and those are newer than what this gateway holds.
      const createdAt = Number(image.meta.createdAt ?? 0);
      if (v < this.current && createdAt <= this.createdAt) return;
      this.onImage(image);
      this.current = v;
      this.createdAt = createdAt;
      // A new version usually follows a feed update: show its status with it.
      await this.refreshFeeds().catch(() => undefined);
      if (this.degraded) this.logger.info({ version: v }, 'redis is back; caught up');
      this.setDegraded(false);
    } catch (err) {
      this.markDown(err as Error);
    }
  }

  private markDown(err: Error): void {
    if (!this.degraded) this.logger.warn({ err: err.message, version: this.current || null }, 'redis unreachable; serving the version held');
    this.setDegraded(true);
  }

  private setDegraded(degraded: boolean): void {
    this.degraded = degraded;
    this.onDegraded(degraded);
  }

  async stop(): Promise<void> {
    clearInterval(this.statusTimer);
    await this.store.close();
  }
}
