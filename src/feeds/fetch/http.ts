import { Agent, interceptors, request, type Dispatcher } from 'undici';
import { FeedFetchError } from '../../errors.js';
import { decompressBody } from './decompress.js';
import { feedLookup } from './resolver.js';
import type { FetchOptions, FetchOutcome } from './types.js';

const MAX_REDIRECTIONS = 5;

let dispatcher: Dispatcher | undefined;

/** One shared agent with keep-alive and redirects, made on first use. */
function agent(): Dispatcher {
  dispatcher ??= new Agent({ connections: 8, connect: { lookup: feedLookup } }).compose(
    interceptors.redirect({ maxRedirections: MAX_REDIRECTIONS }),
  );
  return dispatcher;
}

/** A failure worth another try: the network, a timeout, a 5xx or a 429. */
class RetryableError extends Error {}

/**
 * GETs a feed over http(s) with a timeout, a size cap, gzip, a conditional request when
 * validators are known (304 means: keep what you have) and retries with doubling backoff.
 * Throws FeedFetchError naming the feed and what went wrong.
 */
export async function fetchHttp(options: FetchOptions): Promise<FetchOutcome> {
  let lastError: unknown;
  for (let attempt = 0; attempt <= options.retries; attempt++) {
    if (attempt > 0) await sleep(options.backoffMs * 2 ** (attempt - 1) * (0.75 + Math.random() / 2), options.signal);
    try {
      return await fetchOnce(options);
    } catch (err) {
      lastError = err;
      if (!(err instanceof RetryableError) || options.signal?.aborted) break;
    }
  }
  const message = lastError instanceof Error ? lastError.message : String(lastError);
  throw new FeedFetchError(options.feed, message, { cause: lastError });
}

async function fetchOnce(options: FetchOptions): Promise<FetchOutcome> {
  const headers: Record<string, string> = {
    'user-agent': options.userAgent,
    'accept-encoding': 'gzip, deflate, br',
    ...options.headers,
  };
  if (options.validators?.etag) headers['if-none-match'] = options.validators.etag;
  if (options.validators?.lastModified) headers['if-modified-since'] = options.validators.lastModified;

  const signal = anySignal(options.signal, AbortSignal.timeout(options.timeoutMs));
  let res: Dispatcher.ResponseData;
  try {
    res = await request(options.url, {
      method: 'GET',
      headers,
      dispatcher: agent(),
      signal,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
  } catch (err) {
    throw new RetryableError(describeNetworkError(err, options.timeoutMs));
  }
  return readResponse(res, options, signal);
}

async function readResponse(res: Dispatcher.ResponseData, options: FetchOptions, signal: AbortSignal): Promise<FetchOutcome> {
  if (res.statusCode === 304) {
    await res.body.dump();
    return { kind: 'not-modified' };
  }
  if (res.statusCode !== 200) {
    await res.body.dump();
    const text = `HTTP ${res.statusCode}`;
    if (res.statusCode >= 500 || res.statusCode === 429) throw new RetryableError(text);
    throw new Error(text);
  }

  let raw: Buffer;
  try {
    raw = await readCapped(res.body, options.maxBytes);
  } catch (err) {
    if (signal.aborted) throw new RetryableError(`timed out after ${options.timeoutMs} ms reading the body`);
    throw err;
  }
  const encoding = header(res.headers['content-encoding']);
  let body: Buffer;
  try {
    body = await decompressBody(raw, encoding, options.maxBytes);
  } catch (err) {
    throw new Error(`body does not decompress (${(err as Error).message}); truncated or corrupt`);
  }
  const outcome: FetchOutcome = { kind: 'body', body };
  const etag = header(res.headers.etag);
  const lastModified = header(res.headers['last-modified']);
  const contentType = header(res.headers['content-type']);
  if (etag) outcome.etag = etag;
  if (lastModified) outcome.lastModified = lastModified;
  if (contentType) outcome.contentType = contentType;
  outcome.headers = flatHeaders(res.headers);
  return outcome;
}

function flatHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy(): void }, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.length;
    if (total > maxBytes) {
      body.destroy();
      throw new Error(`body larger than the ${maxBytes}-byte limit`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function describeNetworkError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  if (e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT') return `timed out after ${timeoutMs} ms`;
  const code = e.code ?? e.cause?.code;
  return code ? `${code}: ${e.message ?? ''}`.trim() : (e.message ?? String(err));
}

function anySignal(...signals: Array<AbortSignal | undefined>): AbortSignal {
  return AbortSignal.any(signals.filter((s): s is AbortSignal => s !== undefined));
}

/** Waits, or less if `signal` aborts; the listener goes with the wait (the signal is shared by every feed). */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Closes pooled connections, so a process can exit promptly. */
export async function closeHttp(): Promise<void> {
  const d = dispatcher;
  dispatcher = undefined;
  await d?.close();
}
