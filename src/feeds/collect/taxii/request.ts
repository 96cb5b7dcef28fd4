import type { FeedConfig } from '../../../config/load.js';
import { FeedFetchError } from '../../../errors.js';
import type { CollectContext } from '../types.js';

export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1';

export type Json = Record<string, unknown>;

export interface TaxiiAnswer {
  json: Json;
  /** Lower-case names. */
  headers: Record<string, string>;
}

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function taxiiError(feed: FeedConfig, message: string, cause?: unknown): FeedFetchError {
  return new FeedFetchError(feed.name, message, cause === undefined ? undefined : { cause });
}

/**
 * The TAXII media type and the feed's credentials. Secrets are read from the environment at
 * poll time, so they are never in the config or a log.
 */
export function taxiiHeaders(feed: FeedConfig, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const taxii = feed.taxii!;
  const headers: Record<string, string> = { Accept: TAXII_MEDIA_TYPE };
  const basic = taxii.username !== undefined || taxii.password_env !== undefined;
  if (taxii.token_env && basic) throw taxiiError(feed, 'give taxii.token_env or taxii.username with taxii.password_env, not both');
  if (taxii.token_env) {
    headers.Authorization = `Bearer ${secret(feed, env, taxii.token_env, 'taxii.token_env')}`;
  } else if (basic) {
    if (taxii.username === undefined) throw taxiiError(feed, 'taxii.password_env needs taxii.username');
    if (taxii.password_env === undefined) throw taxiiError(feed, 'taxii.username needs taxii.password_env');
    const password = secret(feed, env, taxii.password_env, 'taxii.password_env');
    headers.Authorization = `Basic ${Buffer.from(`${taxii.username}:${password}`).toString('base64')}`;
  }
  return headers;
}

function secret(feed: FeedConfig, env: NodeJS.ProcessEnv, name: string, key: string): string {
  const value = env[name];
  if (!value) throw taxiiError(feed, `environment variable ${name} (${key}) is not set`);
  return value;
}

/** A URL fit for a message: no user or password in it. */
export function shown(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.href;
  } catch {
    return url;
  }
}

/**
 * GETs one TAXII resource and reads it as a JSON object. Anything else (an HTTP error, an HTML
 * login or proxy page, text that is not JSON) is a FeedFetchError naming the request.
 */
export async function getTaxii(ctx: CollectContext, url: string, what: string, headers: Record<string, string>): Promise<TaxiiAnswer> {
  const where = `TAXII ${what} ${shown(url)}`;
  let outcome;
  try {
    outcome = await ctx.fetch(url, { headers });
  } catch (err) {
    throw taxiiError(ctx.feed, `${where}: ${explain(ctx.feed, err, headers)}`, err);
  }
  if (outcome.kind !== 'body') throw taxiiError(ctx.feed, `${where}: unexpected "not modified" answer`);
  const type = outcome.contentType ?? 'unknown';
  const text = outcome.body.toString('utf8').replace(/^\ufeff/, '');
  if (/^text\/html\b/i.test(type) || /^\s*</.test(text)) {
    throw taxiiError(ctx.feed, `${where}: answered with an HTML page, not TAXII JSON (content type ${type}); a login page or a proxy?`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw taxiiError(ctx.feed, `${where}: answer is not JSON (content type ${type})`);
  }
  if (!isObject(json)) throw taxiiError(ctx.feed, `${where}: answer is not a JSON object`);
  return { json, headers: outcome.headers ?? {} };
}

/** The fetch error without its "feed NAME:" prefix, with what the status usually means for TAXII. */
function explain(feed: FeedConfig, err: unknown, headers: Record<string, string>): string {
  const message = err instanceof Error ? err.message.replace(`feed ${feed.name}: `, '') : String(err);
  const status = /^HTTP (\d{3})\b/.exec(message)?.[1];
  const credentials = headers.Authorization !== undefined;
  if (status === '401' || status === '403') {
    return credentials
      ? `${message}: the server refused the credentials (taxii.username and password_env, or token_env)`
      : `${message}: the server wants credentials (set taxii.username and password_env, or token_env)`;
  }
  if (status === '404') return `${message}: no such API root or collection (taxii.collection is the collection id)`;
  if (status === '406' || status === '415') return `${message}: the server does not answer ${TAXII_MEDIA_TYPE}`;
  return message;
}
