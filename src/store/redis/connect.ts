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
  const url = parseUrl(settings.url);
  const secure = settings.tls !== undefined || url.protocol === 'rediss:';
  const tls = secure ? { ...(settings.tls?.ca_file ? { ca: readFileSync(settings.tls.ca_file) } : {}) } : undefined;
  const options: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    ...(password !== undefined ? { password } : {}),
    ...(tls ? { tls } : {}),
    ...extra,
  };
  // With Cluster and Sentinel the URL names no server, but its user, password and scheme still
  // hold for the servers found (ioredis reads them only from a URL it connects to).
  const fromUrl: RedisOptions = {
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password && password === undefined ? { password: decodeURIComponent(url.password) } : {}),
  };
  if (settings.cluster) {
    return new Cluster(settings.cluster.nodes.map(hostPort), { redisOptions: { ...fromUrl, ...options }, enableOfflineQueue: options.enableOfflineQueue ?? false });
  }
  if (settings.sentinel) {
    const db = Number(url.pathname.slice(1) || 0);
    return new Redis({ ...fromUrl, ...options, sentinels: settings.sentinel.nodes.map(hostPort), name: settings.sentinel.name, db });
  }
  return new Redis(settings.url, options);
}

function parseUrl(text: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new StoreError('redis.url: not a URL (redis://[:password@]host:port/db or rediss://…)');
  }
}

/** Resolves once `redis` is connected; rejects with `error` after `timeoutMs`. */
export async function whenReady(redis: Redis | Cluster, timeoutMs: number, error: () => Error): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(error()), timeoutMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
