import type { Counter } from 'prom-client';

/**
 * Increments kept as plain numbers and handed to a prom-client counter when it is scraped.
 * prom-client hashes the label set on every inc; on the DNS path that was a tenth of the
 * time of a blocked answer. Here an increment is one map lookup by a key the caller builds
 * once per label set.
 */
export class Tally<L extends string> {
  private readonly pending = new Map<string, { labels: Partial<Record<L, string>>; n: number }>();

  constructor(private readonly counter: Counter<L>) {}

  /** Adds `n` to the series `labels`; `key` must identify the label set. */
  add(key: string, labels: Partial<Record<L, string>>, n = 1): void {
    const entry = this.pending.get(key);
    if (entry) entry.n += n;
    else this.pending.set(key, { labels, n });
  }

  /** Moves what was counted into the counter (called from its collect, before a scrape). */
  flush(): void {
    for (const { labels, n } of this.pending.values()) if (n) this.counter.inc(labels as never, n);
    for (const entry of this.pending.values()) entry.n = 0;
  }
}
