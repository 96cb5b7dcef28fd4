import { Agent, request } from 'undici';
import { backoffMs, sleep } from '../backoff.js';
import type { HitEvent, Sink } from '../types.js';

export interface WebhookOptions {
  url: string;
  headers: Record<string, string>;
  /** Further tries after the first, for network errors, timeouts, 5xx and 429. */
  retries: number;
  /** For one try: connect, send, and the whole answer. */
  timeoutMs: number;
  /** First retry delay (tests shorten it). */
  backoffMs?: number;
}

const BACKOFF_BASE_MS = 500;

/** A failure another try may fix. */
class RetryableError extends Error {}

/**
 * POSTs each batch as a JSON array. A batch is tried until it is accepted (2xx) or the retries
 * run out; meanwhile later events wait in the bus queue, so they arrive in order or, when the
 * queue fills, are dropped and counted. A dead endpoint costs one in-flight request at a time.
 */
export class WebhookSink implements Sink {
  readonly name = 'webhook';
  private readonly agent: Agent;
  private readonly closing = new AbortController();
  private readonly headers: Record<string, string>;

  constructor(private readonly o: WebhookOptions) {
    this.agent = new Agent({
      connections: 1, // one batch in flight per sink: more sockets would buy nothing
      connect: { timeout: o.timeoutMs },
      headersTimeout: o.timeoutMs,
      bodyTimeout: o.timeoutMs,
    });
    this.headers = { 'content-type': 'application/json', 'user-agent': 'sluice/0.1', ...o.headers };
  }

  async send(batch: readonly HitEvent[]): Promise<void> {
    const body = JSON.stringify(batch);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.post(body);
      } catch (err) {
        if (!(err instanceof RetryableError) || attempt >= this.o.retries || this.closing.signal.aborted) throw err;
        await sleep(backoffMs(attempt, this.o.backoffMs ?? BACKOFF_BASE_MS), this.closing.signal);
      }
    }
  }

  private async post(body: string): Promise<void> {
    let res: Awaited<ReturnType<typeof request>>;
    try {
      res = await request(this.o.url, {
        method: 'POST',
        headers: this.headers,
        body,
        dispatcher: this.agent,
        signal: AbortSignal.any([this.closing.signal, AbortSignal.timeout(this.o.timeoutMs)]),
      });
    } catch (err) {
      // The message names the host and the cause, never the headers (they may hold a token).
      throw new RetryableError(`webhook: ${(err as Error).message}`);
    }
    // The status decides; a body that fails to arrive must not turn an accepted batch into a retry.
    await res.body.dump().catch(() => undefined);
    const status = res.statusCode;
    if (status >= 200 && status < 300) return;
    const message = `webhook: HTTP ${status}`;
    throw status >= 500 || status === 429 ? new RetryableError(message) : new Error(message);
  }

  async close(): Promise<void> {
    this.closing.abort();
    await this.agent.destroy().catch(() => undefined);
  }
}
