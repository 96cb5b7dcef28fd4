/** What a feed source answered. */
export type FetchOutcome =
  | {
      kind: 'body';
      body: Buffer;
      etag?: string;
      lastModified?: string;
      contentType?: string;
      /** Response headers, names lower-cased (a TAXII server pages with X-TAXII-Date-Added-Last). */
      headers?: Record<string, string>;
    }
  | { kind: 'not-modified' };

/** Validators remembered from the last good fetch, for a conditional request. */
export interface Validators {
  etag?: string;
  lastModified?: string;
}

export interface FetchOptions {
  feed: string;
  url: string;
  timeoutMs: number;
  maxBytes: number;
  retries: number;
  backoffMs: number;
  userAgent: string;
  headers: Record<string, string>;
  validators?: Validators;
  signal?: AbortSignal;
}
