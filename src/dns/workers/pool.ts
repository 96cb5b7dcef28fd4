import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../log.js';
import { setToImage } from '../../match/codec.js';
import type { CompiledSet } from '../../match/compiled-set.js';
import type { FromDnsWorker, ToDnsWorker } from './messages.js';
import { MetricsRequests } from './metrics-requests.js';

/** Wait before a DNS worker that died is started again. */
const RESTART_DELAY_MS = 1_000;

/**
 * DNS worker processes, one per core asked for (`dns.workers`), where workers cannot be threads
 * (see DnsThreadPool): on Node's UDP socket, which only a cluster shares between workers. The
 * primary keeps the syncer and HTTP; every new set goes to every worker, and a worker that
 * dies is replaced and given the current set before it answers.
 */
export class DnsWorkerPool {
  private readonly workers = new Set<Worker>();
  /** The current set, as announced to workers and as sent to any that cannot read the snapshot. */
  private current: { announce: { type: 'load'; version: number }; image: () => ToDnsWorker } | undefined;
  private stopping = false;
  private readonly metrics = new MetricsRequests();
  /** Processes read and write UDP through Node's socket, which the cluster shares. */
  readonly udpMode = 'node';

  constructor(
    private readonly configFile: string,
    private readonly count: number,
    private readonly logger: Logger,
  ) {}

  /**
   * Starts the workers; resolves with the ports they share once all listen (the cluster hands
   * every worker the same sockets, so a port 0 in the config is one port for all).
   */
  async start(): Promise<number[]> {
    cluster.setupPrimary({ exec: fileURLToPath(new URL('./process.js', import.meta.url)), serialization: 'advanced' });
    const [ports] = await Promise.all(Array.from({ length: this.count }, () => this.fork()));
    return ports!;
  }

  private fork(): Promise<number[]> {
    const worker = cluster.fork({ SLUICE_CONFIG: this.configFile });
    this.workers.add(worker);
    return new Promise((resolve, reject) => {
      worker.on('message', (m: FromDnsWorker) => {
        if (m.type === 'hello') {
          if (this.current) worker.send(this.current.announce);
        } else if (m.type === 'listening') {
          resolve(m.ports);
        }
        else if (m.type === 'failed') reject(new Error(m.error));
        else if (m.type === 'want') {
          if (this.current && m.version === this.current.announce.version) worker.send(this.current.image());
        } else if (m.type === 'metrics') this.metrics.reply(m.id, m.value);
      });
      worker.on('exit', (code) => {
        this.workers.delete(worker);
        this.metrics.departed(worker);
        reject(new Error(`dns worker exited with ${code}`));
        if (this.stopping) return;
        this.logger.error({ code }, 'dns worker exited; starting another');
        setTimeout(() => void this.fork().catch((err: Error) => this.logger.error({ err: err.message }, 'dns worker failed to start')), RESTART_DELAY_MS).unref();
      });
    });
  }

  /**
   * Tells every worker about a new set. Each reads it from the snapshot the syncer wrote before
   * handing it over, so the primary never serializes the set once per worker (a copy of it per
   * worker, held until collected); a worker that finds another version there asks for the set,
   * which is then sent over IPC.
   */
  broadcast(set: CompiledSet): void {
    const announce = { type: 'load', version: set.meta.version } as const;
    this.current = {
      announce,
      image: () => {
        const image = setToImage(set);
        return { type: 'set', meta: image.meta, sections: image.sections };
      },
    };
    for (const w of this.workers) w.send(announce);
  }

  /** The workers' gateway metrics summed with `own` (the primary's), in the text format. */
  metricsText(own: unknown[]): Promise<string> {
    return this.metrics.sum(
      own,
      [...this.workers].map((w) => ({ worker: w, ask: (id: number) => w.send({ type: 'metrics', id } satisfies ToDnsWorker) })),
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.workers].map(
        (w) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => w.kill('SIGKILL'), 5_000);
            w.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            w.send({ type: 'stop' } satisfies ToDnsWorker);
          }),
      ),
    );
  }
}
