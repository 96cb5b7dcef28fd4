import { Worker } from 'node:worker_threads';
import type { Config } from '../config/load.js';
import type { Logger } from '../log.js';
import { imageToSet } from '../match/codec.js';
import type { CompiledSet } from '../match/compiled-set.js';
import { initialStatus, type FeedStatus } from './feed-status.js';
import type { FromSyncer, SyncerWorkerData, ToSyncer } from './messages.js';

/** Wait before starting a syncer thread again after it died. */
const RESTART_DELAY_MS = 5_000;
/** How long a stopping syncer may take to finish what it is doing. */
const STOP_TIMEOUT_MS = 10_000;

export interface SyncerHostOptions {
  config: Config;
  logger: Logger;
  onSet: (set: CompiledSet) => void;
  onStoreState?: (degraded: boolean) => void;
  /** Sets arrive in shared memory (for DNS threads) rather than transferred. */
  shareSets?: boolean;
}

/**
 * Runs the syncer in its own thread and speaks for it in the gateway thread: new sets arrive as
 * transferred memory and are swapped in, feed status is mirrored, and the thread's metrics are
 * fetched when /metrics is scraped. If the thread dies, the gateway keeps serving the set it
 * has and starts a new syncer after a pause.
 */
export class SyncerHost {
  private worker: Worker | undefined;
  private feeds: FeedStatus[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, (value: unknown) => void>();
  private stopping = false;
  /** The store could not take the newest version: it is served from memory until it can. */
  storeDegraded = false;
  private loaded: Promise<void> | undefined;
  private ran: Promise<void> | undefined;

  constructor(private readonly opts: SyncerHostOptions) {
    this.feeds = opts.config.feeds.filter((f) => f.enabled).map(initialStatus);
  }

  /** Starts the thread; resolves once what was on disk is published. */
  loadLocal(): Promise<void> {
    this.spawn();
    return this.loaded!;
  }

  /** Resolves once every feed was fetched once. */
  run(): Promise<void> {
    return this.ran ?? Promise.resolve();
  }

  status(): FeedStatus[] {
    return this.feeds;
  }

  syncFeed(feed: string): Promise<boolean> {
    return this.ask({ type: 'sync', id: 0, feed }) as Promise<boolean>;
  }

  /** Publishes a feed's held-back update; undefined when it has none. */
  acceptFeed(feed: string): Promise<{ version: number | undefined; entries: number } | undefined> {
    return this.ask({ type: 'accept', id: 0, feed }) as Promise<{ version: number | undefined; entries: number } | undefined>;
  }

  /** Has the syncer read the manual entries again; resolves with the version that includes them. */
  reloadOverrides(): Promise<number | undefined> {
    return this.ask({ type: 'overrides', id: 0 }) as Promise<number | undefined>;
  }

  /** The syncer's metrics in the Prometheus text format ('' when it does not answer in time). */
  metricsText(): Promise<string> {
    return Promise.race([this.ask({ type: 'metrics', id: 0 }) as Promise<string>, delay(2_000, '')]);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ type: 'stop' } satisfies ToSyncer);
    const timer = setTimeout(() => void worker.terminate(), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  private spawn(): void {
    const data: SyncerWorkerData = { config: this.opts.config, ...(this.opts.shareSets ? { shareSets: true } : {}) };
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: data });
    this.worker = worker;
    let markLoaded: () => void = () => undefined;
    let markRan: () => void = () => undefined;
    this.loaded = new Promise((resolve) => (markLoaded = resolve));
    this.ran = new Promise((resolve) => (markRan = resolve));

    worker.on('message', (message: FromSyncer) => {
      switch (message.type) {
        case 'set':
          this.opts.onSet(imageToSet(message));
          return;
        case 'status':
          this.feeds = message.feeds;
          return;
        case 'store':
          if (message.degraded !== this.storeDegraded) this.opts.onStoreState?.(message.degraded);
          this.storeDegraded = message.degraded;
          return;
        case 'loaded':
          return markLoaded();
        case 'ran':
          return markRan();
        case 'reply':
          this.pending.get(message.id)?.(message.value);
          this.pending.delete(message.id);
      }
    });
    worker.on('error', (err) => this.opts.logger.error({ err }, 'syncer thread failed'));
    worker.on('exit', (code) => {
      // A stop while no thread runs (between a death and its restart) must not wait for one.
      if (this.worker === worker) this.worker = undefined;
      for (const resolve of this.pending.values()) resolve(undefined);
      this.pending.clear();
      markLoaded();
      markRan();
      if (this.stopping) return;
      this.opts.logger.error({ code }, 'syncer thread exited; serving the current set and restarting it');
      setTimeout(() => {
        if (!this.stopping) this.spawn();
      }, RESTART_DELAY_MS).unref();
    });
    worker.postMessage({ type: 'start' } satisfies ToSyncer);
  }

  private ask(message: ToSyncer & { id: number }): Promise<unknown> {
    const worker = this.worker;
    if (!worker) return Promise.resolve(undefined);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      worker.postMessage({ ...message, id });
    });
  }
}

function delay<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms).unref());
}
