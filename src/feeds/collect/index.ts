import type { FeedConfig } from '../../config/load.js';
import { collectMispFeed } from './misp-feed.js';
import { collectTaxii } from './taxii.js';
import type { Collector } from './types.js';

export type { CollectContext, CollectResult, Collector } from './types.js';

/** The collector a feed needs, if it is read with more than one request. */
export function collectorFor(feed: FeedConfig): Collector | undefined {
  if (feed.format === 'taxii') return collectTaxii;
  if (feed.format === 'misp') {
    const source = feed.misp.source;
    if (source === 'feed' || (source === 'auto' && /(\/|manifest\.json)$/i.test(feed.url))) return collectMispFeed;
  }
  return undefined;
}
