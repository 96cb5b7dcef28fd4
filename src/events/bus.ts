import type { Logger } from '../log.js';
import { Ring } from './ring.js';
import type { EventCallbacks, HitEvent, HitVerdict, Sink, SinkName } from './types.js';

export interface BusOptions {
  /** Verdicts that make an event; others are ignored (not counted as dropped). */
  include: readonly HitVerdict[];
  /** Events each sink may have waiting; beyond it new events are dropped and counted. */
  queueSize: number;
  batchSize: number;
  flushIntervalMs: number;
}

/** What became of the events one sink was offered; `pending` is queued plus in flight. */
export interface SinkStats {
  sent: number;
  dropped: number;
  pending: number;
}

/** A failing sink is logged once, then at most this often, with a count of what was not logged. */
const LOG_EVERY_MS = 30_000;

/** One sink's queue and the batch it has in flight. */
class Lane {
  readonly ring: Ring<HitEvent>;
  inFlight = 0;
  current: Promise<void> | undefined;
  /** The flush timer fired while a batch was in flight: send what is queued when it is done. */
  due = false;
  sent = 0;
  dropped = 0;
  /** Drops not yet passed to onDrop: reported in bulk, not once per event. */
  unreported = 0;
  failures = 0;
  lastLogged = 0;
  idle: Array<() => void> = [];

  constructor(readonly sink: Sink, queueSize: number) {
    this.ring = new Ring(queueSize);
  }
}

/**
 * Fans hit events out to sinks through one bounded queue per sink, in batches.
 *
 *   emit ─► [queue: file] ─► batch ─► FileSink
 *        ─► [queue: syslog] ─► batch ─► SyslogSink
 *        ─► [queue: webhook] ─► batch ─► WebhookSink (retries)
 *
 * `emit` runs on the DNS answer path: it only pushes into arrays and never waits, never throws
 * and never does I/O. Each sink has at most one batch in flight, so it sees events in the order
 * they were emitted and a slow or dead sink only fills its own queue. A full queue drops the
 * newest event (the one being emitted), not the oldest: a drop then costs nothing, what is
 * queued stays a gap-free run, and gaps fall only where the queue was full.
 */
export class EventBus {
  private readonly lanes: Lane[];
  private readonly include: ReadonlySet<string>;
  private readonly timer: NodeJS.Timeout;
  private kickPending = false;
  private closing = false;
  /** Past the close deadline: nothing more is sent. */
  private stopped = false;
  private closed: Promise<void> | undefined;

  constructor(
    sinks: readonly Sink[],
    private readonly options: BusOptions,
    private readonly callbacks: EventCallbacks = {},
    private readonly logger?: Logger,
  ) {
    this.lanes = sinks.map((sink) => new Lane(sink, options.queueSize));
    this.include = new Set(options.include);
    this.timer = setInterval(() => this.tick(), options.flushIntervalMs);
    this.timer.unref();
  }

  /** Names of the sinks events go to. */
  get sinks(): SinkName[] {
    return this.lanes.map((l) => l.sink.name);
  }

  /** Queues an event for every sink. O(1) per sink; returns at once whatever the sinks are doing. */
  emit(event: HitEvent): void {
    if (!this.include.has(event.verdict)) return;
    for (const lane of this.lanes) {
      if (this.closing || !lane.ring.push(event)) {
        // Reported on the next flush tick: under overload, a wake-up per query is what we can least afford.
        lane.dropped++;
        lane.unreported++;
      } else if (lane.current === undefined && lane.ring.length >= this.options.batchSize) {
        this.schedule();
      }
    }
  }

  stats(): Partial<Record<SinkName, SinkStats>> {
    const out: Partial<Record<SinkName, SinkStats>> = {};
    for (const l of this.lanes) out[l.sink.name] = { sent: l.sent, dropped: l.dropped, pending: l.ring.length + l.inFlight };
    return out;
  }

  /**
   * Sends what is queued, waiting at most `deadlineMs`; then closes the sinks (aborting what is
   * still in flight) and counts every event that did not make it as dropped.
   */
  close(deadlineMs = 5000): Promise<void> {
    this.closed ??= this.shutdown(deadlineMs);
    return this.closed;
  }

  private async shutdown(deadlineMs: number): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    const drained = Promise.all(
      this.lanes.map((lane) => {
        this.pump(lane, true);
        return lane.current === undefined ? undefined : new Promise<void>((resolve) => lane.idle.push(resolve));
      }),
    );
    await raceTimeout(drained, deadlineMs);
    this.stopped = true;
    for (const lane of this.lanes) {
      const left = lane.ring.clear();
      lane.dropped += left;
      lane.unreported += left;
    }
    await Promise.all(this.lanes.map((lane) => lane.sink.close().catch(() => undefined)));
    // A sink's close aborts its send; wait briefly so that batch is counted before we report.
    await raceTimeout(Promise.all(this.lanes.map((lane) => lane.current)), 1000);
    this.report();
  }

  private schedule(): void {
    if (this.kickPending) return;
    this.kickPending = true;
    setImmediate(() => {
      this.kickPending = false;
      this.report();
      for (const lane of this.lanes) this.pump(lane, false);
    });
  }

  private tick(): void {
    this.report();
    for (const lane of this.lanes) {
      lane.due = lane.ring.length > 0;
      this.pump(lane, false);
    }
  }

  /** Starts the lane's next batch when none is in flight and a full one is queued (or one is due). */
  private pump(lane: Lane, force: boolean): void {
    if (lane.current !== undefined || this.stopped) return;
    const queued = lane.ring.length;
    if (queued === 0 || (queued < this.options.batchSize && !force && !lane.due)) return;
    lane.due = false;
    const batch = lane.ring.take(this.options.batchSize);
    lane.inFlight = batch.length;
    let sending: Promise<void>;
    try {
      sending = lane.sink.send(batch);
    } catch (err) {
      sending = Promise.reject(err);
    }
    lane.current = sending.then(
      () => this.sent(lane, batch.length),
      (err: unknown) => this.failed(lane, batch.length, err instanceof Error ? err : new Error(String(err))),
    ).finally(() => {
      lane.current = undefined;
      this.pump(lane, this.closing);
      if (lane.current === undefined) for (const resolve of lane.idle.splice(0)) resolve();
    });
  }

  private sent(lane: Lane, n: number): void {
    lane.inFlight = 0;
    lane.sent += n;
    this.safely(() => this.callbacks.onSent?.(lane.sink.name, n));
  }

  private failed(lane: Lane, n: number, err: Error): void {
    lane.inFlight = 0;
    lane.dropped += n;
    lane.unreported += n;
    this.report();
    this.safely(() => this.callbacks.onError?.(lane.sink.name, err));
    lane.failures++;
    const now = Date.now();
    if (now - lane.lastLogged >= LOG_EVERY_MS) {
      this.logger?.warn({ sink: lane.sink.name, err: err.message, failedBatches: lane.failures }, 'hit events could not be delivered');
      lane.lastLogged = now;
      lane.failures = 0;
    }
  }

  private report(): void {
    for (const lane of this.lanes) {
      if (lane.unreported === 0) continue;
      const n = lane.unreported;
      lane.unreported = 0;
      this.safely(() => this.callbacks.onDrop?.(lane.sink.name, n));
    }
  }

  /** A callback that throws must not stop delivery or reach the DNS path. */
  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger?.error({ err }, 'hit event callback failed');
    }
  }
}

function raceTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.then(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
