import { loadConfig, type Config } from '../config/load.js';
import { UsageError } from '../errors.js';
import { rootLogger, setLogLevel, type Logger } from '../log.js';
import { MemoryStore } from '../store/memory/index.js';
import type { SetStore } from '../store/types.js';

/** Loads the config named on the command line and applies its log level. */
export function loadRuntimeConfig(file: string): { config: Config; logger: Logger } {
  const config = loadConfig(file);
  setLogLevel(config.log.level);
  return { config, logger: rootLogger() };
}

/** The store the config names. */
export function openStore(config: Config): SetStore {
  if (config.store === 'redis') {
    throw new UsageError(`${config.file}: store: redis is not available in this version; use memory`);
  }
  return new MemoryStore(config.data_dir);
}

/** The config as logged at start: secrets in headers and URLs are not written out. */
export function redactedConfig(config: Config): unknown {
  return {
    ...config,
    redis: { ...config.redis, url: config.redis.url.replace(/\/\/[^@/]*@/, '//[redacted]@') },
    feeds: config.feeds.map((f) => ({
      ...f,
      url: f.url.replace(/\/\/[^@/]*@/, '//[redacted]@').replace(/([?&][^=]+=)[^&]*/g, '$1[redacted]'),
      headers: Object.fromEntries(Object.keys(f.headers).map((k) => [k, '[redacted]'])),
    })),
  };
}
