import { createHash } from 'node:crypto';
import { FeedFetchError, FeedParseError } from '../errors.js';
import type { FeedConfig } from '../config/load.js';
import type { TypeHint } from '../indicators/types.js';
import type { FeedCache } from './cache.js';
import { collectorFor } from './collect/index.js';
import { fetchSource, type FetchOutcome } from './fetch/index.js';
import { decodeText, ParseReport, PARSERS, type ParserOptions } from './parsers/index.js';
import { sniffBody } from './sniff.js';

/** Limits that apply to every fetch unless a feed overrides them. */
export interface FetchSettings {
  timeout: number;
  max_bytes: number;
  retries: number;
  retry_backoff: number;
  max_invalid_share: number;
  user_agent: string;
}

/** Below this many invalid values the share rule does not apply: small lists stay usable. */
const MIN_INVALID_FOR_BUDGET = 20;

/**
 * A new parse, not yet kept: `keep` writes its body as the feed's last good body. The caller
 * keeps it only once the update is accepted, so a held-back update is not what a restart loads.
 */
export type UpdateResult =
  | { kind: 'updated'; report: ParseReport; keep: () => Promise<Error | undefined> }
  | { kind: 'unchanged' };

export interface UpdateContext {
  cache: FeedCache;
  settings: FetchSettings;
  /** Whether the caller still holds this feed's last good parse; only then is a 304 usable. */
  holdsLastGood: boolean;
  signal?: AbortSignal;
  now: number;
}

/**
 * Fetches and parses one feed. Succeeds with a new parse or with "unchanged" (a 304); throws
 * FeedFetchError or FeedParseError otherwise, and then nothing was replaced: the caller keeps
 * the last good parse, and the cached body stays the last good body.
 */
export async function updateFeed(feed: FeedConfig, ctx: UpdateContext): Promise<UpdateResult> {
  const meta = await ctx.cache.meta(feed.name, feed.url);
  const base = {
    feed: feed.name,
    timeoutMs: feed.timeout ?? ctx.settings.timeout,
    maxBytes: feed.max_bytes ?? ctx.settings.max_bytes,
    retries: ctx.settings.retries,
    backoffMs: ctx.settings.retry_backoff,
    userAgent: ctx.settings.user_agent,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  };
  const headers = feedHeaders(feed);
  const collector = collectorFor(feed);
  let state: unknown;
  let outcome: FetchOutcome;
  if (collector) {
    const previousBody = ctx.holdsLastGood && meta ? await ctx.cache.body(feed.name) : undefined;
    const result = await collector({
      feed,
      fetch: (url, init) => fetchSource({ ...base, url, headers: { ...headers, ...init?.headers } }),
      previousBody,
      previousState: previousBody ? meta?.collector : undefined,
      now: ctx.now,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    outcome = result.kind === 'unchanged' ? { kind: 'not-modified' } : { kind: 'body', body: result.body, contentType: result.contentType };
    if (result.kind === 'body') state = result.state;
  } else {
    outcome = await fetchSource({ ...base, url: feed.url, headers, ...(ctx.holdsLastGood && meta ? { validators: meta } : {}) });
  }

  if (outcome.kind === 'not-modified') {
    await ctx.cache.touch(feed.name, { ...meta!, confirmedAt: ctx.now }).catch(() => undefined);
    return { kind: 'unchanged' };
  }
  // The same bytes as the last good body (a local file read again, a server without
  // validators) change nothing: no parse, no new set version.
  const digest = createHash('sha256').update(outcome.body).digest('hex');
  if (ctx.holdsLastGood && meta?.digest === digest) {
    await ctx.cache.touch(feed.name, { ...meta, confirmedAt: ctx.now, ...(state !== undefined ? { collector: state } : {}) }).catch(() => undefined);
    return { kind: 'unchanged' };
  }
  const report = parseFeedBody(feed, outcome.body, outcome.contentType, ctx.settings.max_invalid_share);
  const keep = async (): Promise<Error | undefined> => {
    try {
      await ctx.cache.write(feed.name, outcome.body, {
        url: feed.url,
        fetchedAt: ctx.now,
        confirmedAt: ctx.now,
        digest,
        ...(state !== undefined ? { collector: state } : {}),
        ...(outcome.etag ? { etag: outcome.etag } : {}),
        ...(outcome.lastModified ? { lastModified: outcome.lastModified } : {}),
      });
      return undefined;
    } catch (err) {
      return err as Error;
    }
  };
  return { kind: 'updated', report, keep };
}

/**
 * The request headers of a feed: its own, plus a MISP server's API key read from the
 * environment at fetch time (so it is never in the config or a log).
 */
export function feedHeaders(feed: FeedConfig, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const headers = { ...feed.headers };
  const keyEnv = feed.format === 'misp' ? feed.misp.api_key_env : undefined;
  if (keyEnv) {
    const key = env[keyEnv];
    if (!key) throw new FeedFetchError(feed.name, `environment variable ${keyEnv} (misp.api_key_env) is not set`);
    headers.Authorization = key;
    headers.Accept ??= 'application/json';
  }
  return headers;
}

/** Parses the body cached by the last good fetch, for a start without network. */
export async function loadCachedFeed(
  feed: FeedConfig,
  cache: FeedCache,
  settings: FetchSettings,
): Promise<{ report: ParseReport; listedAt: number } | undefined> {
  const meta = await cache.meta(feed.name, feed.url);
  const body = meta && (await cache.body(feed.name));
  if (!meta || !body) return undefined;
  return { report: parseFeedBody(feed, body, undefined, settings.max_invalid_share), listedAt: meta.confirmedAt };
}

/**
 * Sniffs, decodes and parses a body, then applies the error budget. Throws FeedParseError
 * naming the feed when the body is not a feed or too much of it is invalid.
 */
export function parseFeedBody(
  feed: FeedConfig,
  body: Buffer,
  contentType: string | undefined,
  maxInvalidShare: number,
): ParseReport {
  const report = new ParseReport();
  try {
    sniffBody(body, contentType);
    PARSERS[feed.format](decodeText(body), parserOptions(feed), report);
    checkBudget(report, maxInvalidShare, feed.format === 'stix' || feed.format === 'taxii');
    report.list.seal();
  } catch (err) {
    // The report goes with the error: an operator must see which values sank the update.
    if (err instanceof FeedParseError) throw err.forFeed(feed.name, report);
    throw err;
  }
  return report;
}

export function parserOptions(feed: FeedConfig, now = Math.floor(Date.now() / 1000)): ParserOptions {
  return { hint: feed.type as TypeHint, csv: feed.csv, json: feed.json, stix: feed.stix, misp: feed.misp, rpz: feed.rpz, now };
}

function checkBudget(report: ParseReport, maxInvalidShare: number, revocable = false): void {
  const valid = report.list.size;
  const invalid = report.invalid.count;
  // A STIX source may revoke or expire everything it published: nothing left, on purpose. Only
  // when every skip is such a withdrawal; a bundle of patterns sluice cannot read is refused.
  const withdrawn = Object.entries(report.skipped.reasons).every(([reason]) => /^(revoked|expired)/.test(reason));
  if (valid === 0 && revocable && invalid === 0 && report.skipped.count > 0 && withdrawn) return;
  if (valid === 0) {
    const example = report.invalid.examples[0];
    const why = example ? `; first: line ${example.line} ${JSON.stringify(example.value)}: ${example.reason}` : '';
    throw new FeedParseError(invalid ? `no valid entries, ${invalid} invalid${why}` : 'no entries');
  }
  if (invalid >= MIN_INVALID_FOR_BUDGET && invalid / (valid + invalid) > maxInvalidShare) {
    throw new FeedParseError(
      `${invalid} of ${valid + invalid} entries invalid, over the error budget of ${Math.round(maxInvalidShare * 100)}%`,
    );
  }
}
