import { AggregatorRegistry } from 'prom-client';

/** How long a worker may take to send its metrics before a scrape goes on without them. */
const METRICS_TIMEOUT_MS = 2_000;

/**
 * Metrics asked of DNS workers (threads or processes) for a scrape of the main side, matched
 * to their replies by id. A worker that does not answer in time is left out of that scrape.
 */
export class MetricsRequests {
  private nextId = 1;
  private readonly pending = new Map<number, (value: unknown[]) => void>();

  /** Asks each worker through `ask(id)`; sums their replies with `own`, in the text format. */
  async sum(own: unknown[], askers: ((id: number) => void)[]): Promise<string> {
    const replies = await Promise.all(
      askers.map(
        (ask) =>
          new Promise<unknown[]>((resolve) => {
            const id = this.nextId++;
            const timer = setTimeout(() => {
              this.pending.delete(id);
              resolve([]);
            }, METRICS_TIMEOUT_MS);
            this.pending.set(id, (value) => {
              clearTimeout(timer);
              resolve(value);
            });
            ask(id);
          }),
      ),
    );
    return AggregatorRegistry.aggregate([own, ...replies] as never).metrics();
  }

  /** A worker's answer to request `id`. */
  reply(id: number, value: unknown[]): void {
    this.pending.get(id)?.(value);
    this.pending.delete(id);
  }
}
