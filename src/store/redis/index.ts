import { randomUUID } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { connectRedis, whenReady, type RedisSettings } from './connect.js';
import { StoreError } from '../../errors.js';
import type { SetImage, SetStore } from '../types.js';

/** Versions kept after a newer one is current: gateways still loading one can finish. */
const KEEP_VERSIONS = 3;
/** An older version stays this long after it was superseded, up to MAX_VERSIONS in all. */
const PRUNE_GRACE_S = 30;
const MAX_VERSIONS = 10;
/** Gateways also poll, so a missed announcement costs this long at most. */
const POLL_MS = 2_000;
/** Index fields per HSET, and HSETs in flight, while a version's index is written. */
const INDEX_CHUNK = 2_000;
const INDEX_WINDOW = 16;
/** Keys per index lookup script. */
const RECORDS_CHUNK = 1_000;

/** The records of a version's index, or nil when the version is gone (pruned, or Redis lost it). */
const INDEX_GET = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return redis.call('HMGET', KEYS[1], unpack(ARGV))`;

/** The version asked about is no longer in Redis (pruned, or Redis lost it). */
export class VersionGoneError extends StoreError {
  constructor(readonly version: number) {
    super(`redis records: version ${version} has no index (pruned, or written without one)`);
    this.name = 'VersionGoneError';
  }
}

/** A Redis URL for messages: the password (and user) it may hold left out. */
export function withoutPassword(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//[redacted]@');
}

/** Staged keys of a save that never finished (the writer died) expire on their own. */
const STAGE_TTL_MS = 600_000;

/**
 * Publishes a staged version in one step. Refused when the writer holds no lease (a paused old
 * leader is fenced off: -1) and when the version id is taken (-2: numbered locally while Redis
 * was away, or written by another syncer), so no version is ever written twice. Otherwise the
 * staged keys are renamed into place, and the version becomes current if newer than what is
 * current (a slow writer cannot go backwards).
 *
 * KEYS: current, versions, lease, set:V:meta, then (staged, final) for every section.
 * ARGV: version, lease id ('' without a lease), meta JSON, number of sections.
 */
const PUBLISH = `
local n = tonumber(ARGV[4])
if ARGV[2] ~= '' and redis.call('GET', KEYS[3]) ~= ARGV[2] then
  for i = 1, n do redis.call('DEL', KEYS[3 + 2 * i]) end
  return -1
end
if redis.call('EXISTS', KEYS[4]) == 1 then return -2 end
for i = 1, n do
  local from, to = KEYS[3 + 2 * i], KEYS[4 + 2 * i]
  if redis.call('EXISTS', from) == 1 then
    redis.call('RENAME', from, to)
    redis.call('PERSIST', to)
  end
end
redis.call('SET', KEYS[4], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > cur then
  redis.call('SET', KEYS[1], ARGV[1])
  redis.call('PUBLISH', KEYS[2], ARGV[1])
  return 1
end
return 0`;

/**
 * Set versions in Redis, shared by every gateway. Layout under `prefix`:
 *
 *   version              counter handing out version ids (INCR)
 *   current              the version gateways serve
 *   versions             sorted set of stored version ids (the newest 3, and any superseded
 *                        less than 30 s ago, up to 10)
 *   set:V:meta           JSON: the set's metadata and the names of its sections
 *   set:V:SECTION        one typed array of the compiled set, as raw bytes
 *   set:V:index          hash: lookup key → the entry's record (edge gateways confirm here)
 *   feeds                JSON: the leading syncer's feed status, for every gateway's /v1/feeds
 *   channel versions     a new current version is announced here
 *
 * A version is staged under keys of its writer's own, then renamed into place and made current
 * in one script, so it is complete before anyone sees it and never overwrites another
 * writer's version of the same id. Old versions are deleted once KEEP_VERSIONS newer ones exist. Commands fail at once while Redis
 * is unreachable (no offline queue), so callers keep serving what they have.
 */
export class RedisStore implements SetStore {
  private readonly redis: Redis | Cluster;
  private subscriber: Redis | Cluster | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private lastWritten = 0;
  /** Names this store's staged keys apart from every other writer's. */
  private readonly writer = randomUUID();
  private saves = 0;
  /** Set on a syncer that holds the lease: its writes count only while it does. */
  leaseId = '';

  constructor(
    private readonly connection: RedisSettings,
    readonly prefix: string,
  ) {
    this.redis = connectRedis(connection);
    // Errors surface on the commands that fail; the connection retries on its own.
    this.redis.on('error', () => undefined);
  }

  get settings(): RedisSettings {
    return this.connection;
  }

  private key(name: string): string {
    return `${this.prefix}${name}`;
  }

  /** Resolves once connected (or rejects after `timeoutMs`), so a start can report Redis down. */
  async ready(timeoutMs = 5_000): Promise<void> {
    const where = this.connection.cluster?.nodes.join(', ') ?? this.connection.sentinel?.nodes.join(', ') ?? this.connection.url;
    await whenReady(this.redis, timeoutMs, () => new StoreError(`redis at ${withoutPassword(where)} is not reachable`));
  }

  async nextVersion(): Promise<number> {
    return this.run('nextVersion', async () => {
      let v = await this.redis.incr(this.key('version'));
      // A Redis that lost its data (restarted without persistence) starts counting again;
      // gateways ignore versions older than theirs, so continue after the last one written.
      if (v <= this.lastWritten) {
        v = this.lastWritten + 1;
        await this.redis.set(this.key('version'), v);
      }
      return v;
    });
  }

  async save(image: SetImage): Promise<void> {
    await this.run('save', async () => {
      const stage = `stage:${this.writer}:${++this.saves}:`;
      const names = [...Object.keys(image.sections), ...(image.index ? ['index'] : [])];
      if (image.index) await this.writeIndex(this.key(`${stage}index`), image.index());
      const multi = this.redis.multi();
      for (const [name, bytes] of Object.entries(image.sections)) {
        multi.set(this.key(`${stage}${name}`), Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'PX', STAGE_TTL_MS);
      }
      if (image.index) multi.pexpire(this.key(`${stage}index`), STAGE_TTL_MS);
      await multi.exec();

      let v = image.meta.version;
      for (let attempt = 1; ; attempt++) {
        const pairs = names.flatMap((name) => [this.key(`${stage}${name}`), this.key(`set:${v}:${name}`)]);
        const meta = JSON.stringify({ meta: { ...image.meta, version: v }, sections: Object.keys(image.sections) });
        const keys = [this.key('current'), this.key('versions'), this.key('lease'), this.key(`set:${v}:meta`), ...pairs];
        const done = await this.redis.eval(PUBLISH, keys.length, ...keys, String(v), this.leaseId, meta, String(names.length));
        if (done === -1) throw new Error(`version ${v} not published: this syncer no longer holds the lease`);
        if (done !== -2) break;
        if (attempt >= 5) throw new Error(`version ${v} not published: version ids keep being taken`);
        // Taken: numbered here while Redis was away, or written by someone else. Never overwrite.
        this.lastWritten = Math.max(this.lastWritten, v);
        v = await this.nextVersion();
      }
      this.lastWritten = Math.max(this.lastWritten, v);
      await this.prune(v);
    });
  }

  /** The newest version this store wrote, 0 before the first. */
  get written(): number {
    return this.lastWritten;
  }

  /** The index in chunks, a bounded number in flight, so a million entries never sit in one reply buffer. */
  private async writeIndex(key: string, records: Iterable<[string, string]>): Promise<void> {
    let chunk: string[] = [];
    let flying: Array<Promise<unknown>> = [];
    const send = async () => {
      flying.push(this.redis.hset(key, ...chunk));
      chunk = [];
      if (flying.length >= INDEX_WINDOW) {
        await Promise.all(flying);
        flying = [];
      }
    };
    for (const [field, record] of records) {
      chunk.push(field, record);
      if (chunk.length >= INDEX_CHUNK * 2) await send();
    }
    if (chunk.length) await send();
    await Promise.all(flying);
  }

  /**
   * Deletes versions older than the newest KEEP_VERSIONS, once they were superseded at least
   * PRUNE_GRACE_S ago: a gateway that was paused or slow still finds its version (an edge
   * gateway confirms against it) while it catches up.
   */
  private async prune(current: number): Promise<void> {
    const all = (await this.redis.zrangebyscore(this.key('versions'), '-inf', current)).map(Number);
    const now = Date.now() / 1000;
    for (let i = 0; i < all.length - KEEP_VERSIONS; i++) {
      const v = all[i]!;
      const successor = await this.redis.get(this.key(`set:${all[i + 1]}:meta`));
      const supersededAt = successor ? Number((JSON.parse(successor) as { meta: { createdAt?: number } }).meta.createdAt ?? 0) : 0;
      if (now - supersededAt < PRUNE_GRACE_S && all.length - i <= MAX_VERSIONS) break;
      const meta = await this.redis.get(this.key(`set:${v}:meta`));
      const names = meta ? (JSON.parse(meta) as { sections: string[] }).sections : [];
      // UNLINK frees a large index in the background instead of stalling every client.
      await this.redis.unlink(this.key(`set:${v}:meta`), this.key(`set:${v}:index`), ...names.map((n) => this.key(`set:${v}:${n}`)));
      await this.redis.zrem(this.key('versions'), v);
    }
  }

  /**
   * The index records of `keys` in version `v`, null where it has none. Rejects when the
   * version is gone, so a missing version is never taken for "not listed".
   */
  async records(v: number, keys: string[]): Promise<Array<string | null>> {
    return this.run('records', async () => {
      // In chunks: a script takes its arguments on Lua's stack, which holds about 8,000.
      const chunks: string[][] = [];
      for (let i = 0; i < keys.length; i += RECORDS_CHUNK) chunks.push(keys.slice(i, i + RECORDS_CHUNK));
      const parts = await Promise.all(
        chunks.map((chunk) => this.redis.eval(INDEX_GET, 1, this.key(`set:${v}:index`), ...chunk) as Promise<Array<string | null> | null>),
      );
      return parts;
    }).then((parts) => {
      if (parts.some((p) => !p)) throw new VersionGoneError(v);
      return parts.flatMap((p) => p!);
    });
  }

  /** The leading syncer's feed status, for gateways. */
  async writeFeedStatus(feeds: unknown[]): Promise<void> {
    await this.run('feed status', () => this.redis.set(this.key('feeds'), JSON.stringify({ at: Date.now(), feeds })));
  }

  async readFeedStatus(): Promise<unknown[] | undefined> {
    const text = await this.run('feed status', () => this.redis.get(this.key('feeds')));
    return text ? (JSON.parse(text) as { feeds: unknown[] }).feeds : undefined;
  }

  async currentVersion(): Promise<number | undefined> {
    const v = await this.run('current', () => this.redis.get(this.key('current')));
    return v === null ? undefined : Number(v);
  }

  async loadLatest(): Promise<SetImage | undefined> {
    const v = await this.currentVersion();
    return v === undefined ? undefined : this.load(v);
  }

  /** Version `v`, with the sections `wanted` accepts (all by default). */
  async load(v: number, wanted: (section: string) => boolean = () => true): Promise<SetImage | undefined> {
    return this.run('load', async () => {
      const metaText = await this.redis.get(this.key(`set:${v}:meta`));
      if (!metaText) return undefined;
      const { meta, sections: all } = JSON.parse(metaText) as { meta: SetImage['meta']; sections: string[] };
      const names = all.filter(wanted);
      const buffers = names.length ? await this.redis.mgetBuffer(...names.map((n) => this.key(`set:${v}:${n}`))) : [];
      const sections: Record<string, Uint8Array> = {};
      for (const [i, name] of names.entries()) {
        const b = buffers[i];
        if (!b) return undefined; // pruned while we read: the next announcement brings a newer one
        // A copy in fresh memory, aligned for the typed-array views the codec makes.
        const copy = new Uint8Array(new ArrayBuffer(b.length));
        copy.set(b);
        sections[name] = copy;
      }
      return { meta, sections };
    });
  }

  /**
   * Calls `onVersion` with each new current version: announced over pub/sub, and polled every
   * few seconds so a missed message, or an outage, costs seconds, not correctness.
   */
  watch(onVersion: (version: number) => void, onError: (err: Error) => void, onPolled: (version: number) => void = () => undefined): void {
    let last = 0;
    const seen = (v: number) => {
      if (v !== last) {
        last = v;
        onVersion(v);
      }
    };
    const subscriber = this.redis.duplicate();
    this.subscriber = subscriber;
    subscriber.on('error', () => undefined);
    // Commands fail while disconnected, so subscribe once connected (ioredis resubscribes after).
    const subscribe = () => void subscriber.subscribe(this.key('versions')).catch(() => undefined);
    if (subscriber.status === 'ready') subscribe();
    else subscriber.once('ready', subscribe);
    this.subscriber.on('message', (_channel, message) => seen(Number(message)));
    const poll = () =>
      this.currentVersion().then(
        (v) => {
          if (v === undefined) return;
          seen(v);
          onPolled(v);
        },
        (err: Error) => onError(err),
      );
    void poll();
    this.pollTimer = setInterval(poll, POLL_MS);
    this.pollTimer.unref();
  }

  get connected(): boolean {
    return this.redis.status === 'ready';
  }

  private async run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new StoreError(`redis ${what}: ${(err as Error).message}`, { cause: err });
    }
  }

  async close(): Promise<void> {
    clearInterval(this.pollTimer);
    this.subscriber?.disconnect();
    this.redis.disconnect();
  }
}
