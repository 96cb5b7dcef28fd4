import type { Config } from '../config/load.js';
import { RedisOverrides } from './redis.js';
import { OverrideFile, type Override } from './store.js';

/** Where manual entries live: with the set versions (Redis) or in data_dir. */
export interface OverrideStorage {
  load(): Promise<Override[]>;
  save(entries: readonly Override[]): Promise<void>;
  /** Whether the record exists at all: a shared store can lose it (Redis restarted empty). */
  present?(): Promise<boolean>;
  close?(): void;
}

export function openOverrides(config: Config): OverrideStorage {
  return config.store === 'redis' ? new RedisOverrides(config.redis, config.redis.prefix) : new OverrideFile(config.data_dir);
}
