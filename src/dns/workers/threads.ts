import { Worker } from 'node:worker_threads';
import type { Config } from '../../config/load.js';
import type { Logger } from '../../log.js';
import { setToImage } from '../../match/codec.js';
import type { CompiledSet } from '../../match/compiled-set.js';
import type { DnsThreadData, FromDnsWorker, SetMessage, ToDnsWorker } from './messages.js';
import { MetricsRequests } from './metrics-requests.js';

/** Wait before a DNS thread that died is started again. */
const RESTART_DELAY_MS = 1_000;
/** How long a stopping thread may take to close its sockets before it is terminated. */
const STOP_TIMEOUT_MS = 5_000;
/** How often each thread is asked whether its event loop still turns. */
const PING_MS = 1_000;
/**
 * A thread that has not answered for this long is stuck (a loop that never yields): it is
 * terminated and replaced, since the kernel goes on giving its socket a share of the queries.
 */
const STUCK_MS = 5_000;

/**
 * DNS threads beside the main thread, which answers DNS itself and keeps TCP, HTTP and the
 * syncer: `dns.workers: N` is the main thread and N-1 threads here. They read the one copy of
 * each set, in shared memory (see shareSet), where worker processes each held their own. A
 * thread that dies is started again with the current set.
 */
export class DnsThreadPool {
  private readonly threads = new Set<Worker>();
  /** Those of `threads` that listen. */
  private readonly listening = new Set<Worker>();
  private current: SetMessage | undefined;
  private ports: number[] = [];
  private stopping = false;
  private readonly metrics = new MetricsRequests();
  /** When each listening thread last answered a ping. */
  private readonly alive = new Map<Worker, { id: number; seen: number }>();
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: Config,
    private readonly count: number,
    private readonly logger: Logger,
  ) {}

  /** Starts the threads on the ports the main thread bound; resolves once all listen. */
  async start(ports: number[]): Promise<void> {
    this.ports = ports;
    await Promise.all(Array.from({ length: this.count }, (_, i) => this.spawn(i + 1)));
    this.watchdog = setInterval(() => this.checkAlive(), PING_MS).unref();
  }

  private checkAlive(): void {
    const now = Date.now();
    for (const [thread, { id, seen }] of this.alive) {
      if (now - seen > STUCK_MS) {
        this.alive.delete(thread);
        this.logger.error({ worker: id, silent_ms: now - seen }, 'dns thread stopped answering; replacing it');
        void thread.terminate();
      } else thread.postMessage({ type: 'ping' } satisfies ToDnsWorker);
    }
  }

  private spawn(id: number): Promise<void> {
    const data: DnsThreadData = { config: this.config, id, ports: this.ports, ...(this.current ? { set: this.current } : {}) };
    const thread = new Worker(new URL('./thread.js', import.meta.url), { workerData: data });
    this.threads.add(thread);
    return new Promise((resolve, reject) => {
      thread.on('message', (m: FromDnsWorker) => {
        if (m.type === 'listening') {
          this.listening.add(thread);
          this.alive.set(thread, { id, seen: Date.now() });
          resolve();
        } else if (m.type === 'pong') {
          const entry = this.alive.get(thread);
          if (entry) entry.seen = Date.now();
        }
        else if (m.type === 'failed') reject(new Error(m.error));
        else if (m.type === 'metrics') this.metrics.reply(m.id, m.value);
      });
      thread.on('error', (err) => this.logger.error({ err: err.message, worker: id }, 'dns thread failed'));
      thread.on('exit', (code) => {
        this.threads.delete(thread);
        this.listening.delete(thread);
        this.alive.delete(thread);
        this.metrics.departed(thread);
        reject(new Error(`dns thread exited with ${code}`));
        if (this.stopping) return;
        this.logger.error({ code, worker: id }, 'dns thread exited; starting another');
        setTimeout(() => {
          if (!this.stopping) void this.spawn(id).catch((err: Error) => this.logger.error({ err: err.message }, 'dns thread failed to start'));
        }, RESTART_DELAY_MS).unref();
      });
    });
  }

  /** The threads answering now: started and listening, not yet exited. */
  get running(): readonly Worker[] {
    return [...this.listening];
  }

  /** Hands `set` to every thread. Its sections are in shared memory: nothing is copied. */
  broadcast(set: CompiledSet): void {
    const image = setToImage(set);
    this.current = { type: 'set', meta: image.meta, sections: image.sections };
    for (const t of this.threads) t.postMessage(this.current);
  }

  /** The threads' gateway metrics summed with `own` (the main thread's), in the text format. */
  metricsText(own: unknown[]): Promise<string> {
    return this.metrics.sum(
      own,
      [...this.threads].map((t) => ({ worker: t, ask: (id: number) => t.postMessage({ type: 'metrics', id } satisfies ToDnsWorker) })),
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.watchdog);
    await Promise.all(
      [...this.threads].map(
        (t) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => void t.terminate(), STOP_TIMEOUT_MS);
            t.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            t.postMessage({ type: 'stop' } satisfies ToDnsWorker);
          }),
      ),
    );
  }
}
