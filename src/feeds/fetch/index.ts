import { fetchFile } from './file.js';
import { fetchHttp } from './http.js';
import type { FetchOptions, FetchOutcome } from './types.js';

export { closeHttp } from './http.js';
export { useFeedResolvers } from './resolver.js';
export type { FetchOptions, FetchOutcome, Validators } from './types.js';

/** Fetches a feed body from its url: http(s) or a local path. */
export function fetchSource(options: FetchOptions): Promise<FetchOutcome> {
  return /^https?:\/\//i.test(options.url) ? fetchHttp(options) : fetchFile(options);
}
