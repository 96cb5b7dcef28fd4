import type { Config } from '../config/load.js';
import { UsageError } from '../errors.js';
import { MemoryStore } from './memory/index.js';
import type { SetStore } from './types.js';

/** The store the config names; throws UsageError (exit 2) for one this version lacks. */
export function openStore(config: Config): SetStore {
  if (config.store === 'redis') {
    throw new UsageError(`${config.file}: store: redis is not available in this version; use memory`);
  }
  return new MemoryStore(config.data_dir);
}
