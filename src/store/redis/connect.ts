import { readFileSync } from 'node:fs';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { StoreError } from '../../errors.js';

/** The `redis:` settings a connection needs. */
export interface RedisSettings {
  url: string;
  password_env?: string | undefined;
  tls?: { ca_file?: string | undefined } | undefined;
  sentinel?: { name: string; nodes: string[] } | undefined;
  cluster?: { nodes: string[] } | undefined;
}

function hostPort(node: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(node);
  if (!m) throw new StoreError(`redis node ${node}: expected host:port`);
  return { host: m[1]!, port: Number(m[2]) };
}

/**
 * A connection for a single server, a Sentinel-managed master or a Cluster, as the config
 * says. Commands fail at once while disconnected (no offline queue): callers keep serving
 * what they have rather than wait on a Redis that is away.
 */
export function connectRedis(settings: RedisSettings, extra: RedisOptions = {}): Redis | Cluster {
  const password = settings.password_env ? process.env[settings.password_env] : undefined;
  if (settings.password_env && password === undefined) {
    throw new StoreError(`redis.password_env: environment variable ${settings.password_env} is not set`);
  }
  const tls = settings.tls ? { ...(settings.tls.ca_file ? { ca: readFileSync(settings.tls.ca_file) } : {}) } : undefined;
  const options: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    ...(password !== undefined ? { password } : {}),
    ...(tls ? { tls } : {}),
    ...extra,
  };
  if (settings.cluster) {
    return new Cluster(settings.cluster.nodes.map(hostPort), { redisOptions: options, enableOfflineQueue: options.enableOfflineQueue ?? false });
  }
  if (settings.sentinel) {
    const db = Number(new URL(settings.url).pathname.slice(1) || 0);
    return new Redis({ ...options, sentinels: settings.sentinel.nodes.map(hostPort), name: settings.sentinel.name, db });
  }
  return new Redis(settings.url, options);
}
