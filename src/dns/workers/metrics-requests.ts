import { AggregatorRegistry } from 'prom-client';

/** How long a worker may take to send its metrics before a scrape goes on without them. */
const METRICS_TIMEOUT_MS = 2_000;

type MetricJson = { name: string; type: string; aggregator?: string } & Record<string, unknown>;

/**
 * Metrics asked of DNS workers (threads or processes) for a scrape of the main side, matched
 * to their replies by id. A worker that does not answer in time is left out of that scrape.
 * What a worker that has since died had counted stays in the sums, so that no counter goes
 * backwards (which Prometheus reads as a reset) when a worker is replaced.
 */
export class MetricsRequests {
  private nextId = 1;
  private readonly pending = new Map<number, (value: unknown[]) => void>();
  /** Each live worker's last reply. */
  private readonly last = new Map<object, MetricJson[]>();
  /** Counters and histograms of workers that died, as of their last reply. */
  private gone: MetricJson[][] = [];

  /**
   * Asks each worker through its `ask(id)`; sums their replies, and what workers that died
   * had counted, with `own`, in the text format.
   */
  async sum(own: unknown[], workers: { worker: object; ask: (id: number) => void }[]): Promise<string> {
    const replies = await Promise.all(
      workers.map(
        ({ worker, ask }) =>
          new Promise<unknown[]>((resolve) => {
            const id = this.nextId++;
            const timer = setTimeout(() => {
              this.pending.delete(id);
              resolve(this.last.get(worker) ?? []);
            }, METRICS_TIMEOUT_MS);
            this.pending.set(id, (value) => {
              clearTimeout(timer);
              this.last.set(worker, value as MetricJson[]);
              resolve(value);
            });
            ask(id);
          }),
      ),
    );
    // Many restarts (a crash loop) leave one merged entry, not one per worker that died.
    if (this.gone.length > 1) this.gone = [(await AggregatorRegistry.aggregate(this.gone as never).getMetricsAsJSON()) as unknown as MetricJson[]];
    // prom-client leaves out metrics it cannot merge across processes (the process start time);
    // the main side's own are its own, so they are kept as they are.
    const mine = (own as MetricJson[]).map((m) => (m.aggregator === 'omit' ? { ...m, aggregator: 'first' } : m));
    return AggregatorRegistry.aggregate([mine, ...replies, ...this.gone] as never).metrics();
  }

  /** A worker's answer to request `id`. */
  reply(id: number, value: unknown[]): void {
    this.pending.get(id)?.(value);
    this.pending.delete(id);
  }

  /** `worker` died: its counts so far stay in every later sum (gauges do not: they ended with it). */
  departed(worker: object): void {
    const last = this.last.get(worker);
    this.last.delete(worker);
    if (last) this.gone.push(last.filter((m) => m.type === 'counter' || m.type === 'histogram'));
  }
}
