import type { Cluster, Redis } from 'ioredis';
import { StoreError } from '../errors.js';
import { connectRedis, type RedisSettings } from '../store/redis/connect.js';
import type { Override } from './store.js';

/**
 * Manual entries in Redis (`prefix + 'overrides'`, one JSON document), so every syncer sees
 * the same ones: a standby that takes over keeps the operator's blocks and allows.
 */
export class RedisOverrides {
  private readonly redis: Redis | Cluster;
  private readonly key: string;

  constructor(settings: RedisSettings, prefix: string) {
    this.redis = connectRedis(settings, { enableOfflineQueue: true });
    this.redis.on('error', () => undefined);
    this.key = `${prefix}overrides`;
  }

  async load(): Promise<Override[]> {
    let text: string | null;
    try {
      text = await this.redis.get(this.key);
    } catch (err) {
      throw new StoreError(`redis overrides: ${(err as Error).message}`);
    }
    if (text === null) return [];
    const doc = JSON.parse(text) as { entries?: Override[] };
    return doc.entries ?? [];
  }

  async present(): Promise<boolean> {
    try {
      return (await this.redis.exists(this.key)) === 1;
    } catch (err) {
      throw new StoreError(`redis overrides: ${(err as Error).message}`);
    }
  }

  async save(entries: readonly Override[]): Promise<void> {
    try {
      await this.redis.set(this.key, JSON.stringify({ entries }));
    } catch (err) {
      throw new StoreError(`redis overrides: ${(err as Error).message}`);
    }
  }

  close(): void {
    this.redis.disconnect();
  }
}
