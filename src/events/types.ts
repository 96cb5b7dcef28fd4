/** Where a hit was found: a DNS question, GET/POST /v1/verdict, or the forward-auth route. */
export type HitSource = 'dns' | 'verdict' | 'forward-auth';

export type HitVerdict = 'block' | 'monitor';

/** One block or monitor hit, as every sink receives it (the webhook and the file: this JSON). */
export interface HitEvent {
  /** ISO 8601, UTC, with milliseconds. */
  time: string;
  source: HitSource;
  client?: string;
  /** The question name (DNS) or the value asked about (HTTP). */
  value: string;
  /** DNS question type, for source dns. */
  qtype?: number;
  /** Indicator type of the value asked about, for the HTTP sources. */
  type?: string;
  verdict: HitVerdict;
  /** The listed value that matched: the name itself, a parent domain, a network, a URL. */
  indicator: string;
  feeds: string[];
}

export type SinkName = 'file' | 'syslog' | 'webhook';

/**
 * A destination for batches of events. The bus calls `send` for one batch at a time per sink,
 * so a sink sees batches in order and never needs a lock of its own.
 */
export interface Sink {
  readonly name: SinkName;
  /** Resolves once the batch is handed over; rejects when it could not be (the batch is lost). */
  send(batch: readonly HitEvent[]): Promise<void>;
  /** Aborts work in flight (its `send` then rejects) and releases sockets and files. */
  close(): Promise<void>;
}

/** How the bus reports what happened to events; the wiring maps these to metrics. */
export interface EventCallbacks {
  /** `n` events handed to a sink. */
  onSent?(sink: SinkName, n: number): void;
  /** `n` events that a sink will never receive: its queue was full, or their batch failed. */
  onDrop?(sink: SinkName, n: number): void;
  /** A batch a sink failed to deliver (after its own retries); its events are also dropped. */
  onError?(sink: SinkName, err: Error): void;
}
