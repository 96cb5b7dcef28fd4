import type { Config } from '../config/load.js';
import { MemoryStore } from './memory/index.js';
import { RedisStore } from './redis/index.js';
import type { SetStore } from './types.js';

/** The store the config names. */
export function openStore(config: Config): SetStore {
  if (config.store === 'redis') return new RedisStore(config.redis, config.redis.prefix);
  return new MemoryStore(config.data_dir);
}
