import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { connectRedis, whenReady, type RedisSettings } from './connect.js';

/** Deletes the lease only while we hold it. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * Extends the lease while we hold it (1). Takes it again when nobody does (2): it ran out
 * during an outage, or Redis came back empty. Someone else holding it ends ours (0).
 */
const RENEW = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
end
return 0`;

/**
 * The syncer lease: whoever holds `prefix + 'lease'` is the one syncer that writes versions.
 * It is renewed every third of its time; a holder that stops renewing (dead, paused, cut off)
 * loses it when it runs out and another syncer takes over. Writes are fenced on it too (see
 * RedisStore), so a paused old leader that wakes up cannot overwrite a newer version.
 */
export class Lease {
  readonly id = randomUUID();
  readonly key: string;
  private readonly redis: Redis | Cluster;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    settings: RedisSettings,
    prefix: string,
    private readonly ttlMs: number,
  ) {
    this.key = `${prefix}lease`;
    this.redis = connectRedis(settings);
    this.redis.on('error', () => undefined);
  }

  /** Waits until this syncer holds the lease; tries again every third of the lease time. */
  async acquire(onWaiting: () => void): Promise<void> {
    let told = false;
    while (!this.stopped) {
      const got = await this.redis.set(this.key, this.id, 'PX', this.ttlMs, 'NX').catch(() => undefined);
      if (got === 'OK') return;
      // Not connected yet (or Redis away): ask again soon. Held by another syncer: stand by.
      const unreachable = got === undefined;
      if (!unreachable && !told) {
        onWaiting();
        told = true;
      }
      await new Promise((r) => setTimeout(r, unreachable ? Math.min(250, this.ttlMs / 3) : this.ttlMs / 3).unref());
    }
  }

  /** Takes the lease if nobody holds it; false when another syncer does. */
  async tryAcquire(): Promise<boolean> {
    await whenReady(this.redis, 5_000, () => new Error('redis is not reachable for the lease'));
    return (await this.redis.set(this.key, this.id, 'PX', this.ttlMs, 'NX')) === 'OK';
  }

  /**
   * Renews until stopped; calls `onLost` once another syncer holds the lease. While Redis
   * cannot be reached the lease is kept: this syncer goes on fetching and building, and its
   * writes are fenced on the lease anyway, so it cannot overwrite a newer leader's version.
   */
  keep(onLost: () => void): void {
    this.timer = setInterval(async () => {
      const state = await this.redis.eval(RENEW, 1, this.key, this.id, String(this.ttlMs)).then(Number, () => -1);
      if (state === 0) {
        this.stop();
        onLost();
      }
    }, this.ttlMs / 3);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.redis.disconnect();
  }

  /** Gives the lease up (a clean shutdown), so a standby need not wait for it to run out. */
  async release(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.redis.eval(RELEASE, 1, this.key, this.id).catch(() => undefined);
    this.redis.disconnect();
  }
}
