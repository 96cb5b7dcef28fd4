import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { connectRedis, type RedisSettings } from './connect.js';

/** Extends the lease only while we still hold it. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
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
      const got = await this.redis.set(this.key, this.id, 'PX', this.ttlMs, 'NX').catch(() => null);
      if (got === 'OK') return;
      if (!told) onWaiting();
      told = true;
      await new Promise((r) => setTimeout(r, this.ttlMs / 3).unref());
    }
  }

  /** Renews until stopped; calls `onLost` once if the lease is gone or cannot be renewed in time. */
  keep(onLost: () => void): void {
    let lastRenewed = Date.now();
    this.timer = setInterval(async () => {
      const ok = await this.redis.eval(RENEW, 1, this.key, this.id, String(this.ttlMs)).then((r) => r === 1, () => false);
      if (ok) lastRenewed = Date.now();
      // Unrenewed for most of its time: another syncer may take it any moment, so stop writing.
      else if (!ok && (Date.now() - lastRenewed > this.ttlMs * 0.8 || !(await this.holds()))) {
        this.stop();
        onLost();
      }
    }, this.ttlMs / 3);
    this.timer.unref();
  }

  private async holds(): Promise<boolean> {
    return (await this.redis.get(this.key).catch(() => null)) === this.id;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.redis.disconnect();
  }
}
