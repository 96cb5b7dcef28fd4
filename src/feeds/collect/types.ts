import type { FeedConfig } from '../../config/load.js';
import type { FetchOutcome } from '../fetch/index.js';

/**
 * A source that takes more than one request (a TAXII collection over pages, a MISP feed of
 * one file per event) is read by a collector. It returns one document that the feed's parser
 * reads like any body (a STIX bundle, a MISP event list), and which is cached like any body,
 * so a restart without network serves the same data.
 */
export interface CollectContext {
  feed: FeedConfig;
  /** GET (or another method) relative to nothing: pass absolute URLs. Applies the feed's timeout, size cap, retries and headers. */
  fetch: (url: string, init?: { headers?: Record<string, string> }) => Promise<FetchOutcome>;
  /** The last accepted document, for collectors that add to what they had (incremental polls). */
  previousBody: Buffer | undefined;
  /** State the collector kept after the last accepted update (a date, timestamps per event). */
  previousState: unknown;
  /** Epoch seconds. */
  now: number;
  signal?: AbortSignal;
}

export type CollectResult =
  /** Nothing new since the last accepted update. */
  | { kind: 'unchanged' }
  /** The whole document as it now stands, and the state to keep once it is accepted. */
  | { kind: 'body'; body: Buffer; contentType: string; state: unknown };

export type Collector = (ctx: CollectContext) => Promise<CollectResult>;
