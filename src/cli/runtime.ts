import { loadConfig, type Config } from '../config/load.js';
import { rootLogger, setLogLevel, type Logger } from '../log.js';
import { openStore } from '../store/open.js';
import { RedisStore } from '../store/redis/index.js';
import type { SetImage } from '../store/types.js';
export { openStore };

/** Where the saved set lives, for messages. */
export function savedWhere(config: Config): string {
  return config.store === 'redis' ? `redis (prefix ${config.redis.prefix})` : config.data_dir;
}

/**
 * The current saved set, from data_dir or from Redis (connected first: commands fail at once
 * while a connection is not open). The store is closed whatever happens, so a command that
 * failed exits instead of waiting on a reconnecting client.
 */
export async function loadSavedImage(config: Config): Promise<SetImage | undefined> {
  const store = openStore(config);
  try {
    if (store instanceof RedisStore) await store.ready();
    return await store.loadLatest();
  } finally {
    await store.close();
  }
}

/** Loads the config named on the command line and applies its log level. */
export function loadRuntimeConfig(file: string): { config: Config; logger: Logger } {
  const config = loadConfig(file);
  setLogLevel(config.log.level);
  return { config, logger: rootLogger() };
}

/** The config as logged at start: secrets in headers and URLs are not written out. */
export function redactedConfig(config: Config): unknown {
  return {
    ...config,
    redis: { ...config.redis, url: config.redis.url.replace(/\/\/[^@/]*@/, '//[redacted]@') },
    feeds: config.feeds.map((f) => ({
      ...f,
      url: redactUrl(f.url),
      headers: Object.fromEntries(Object.keys(f.headers).map((k) => [k, '[redacted]'])),
    })),
    http: { ...config.http, tokens: config.http.tokens.map((t) => ({ ...t, ...(t.token ? { token: '[redacted]' } : {}) })) },
    events: {
      ...config.events,
      ...(config.events.webhook
        ? {
            webhook: {
              ...config.events.webhook,
              url: redactUrl(config.events.webhook.url),
              headers: Object.fromEntries(Object.keys(config.events.webhook.headers).map((k) => [k, '[redacted]'])),
            },
          }
        : {}),
    },
  };
}

/** A URL without its user info and query values, which may hold keys. */
function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//[redacted]@').replace(/([?&][^=]+=)[^&]*/g, '$1[redacted]');
}
