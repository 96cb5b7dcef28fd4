import { FeedFetchError } from '../../errors.js';
import type { Collector } from './types.js';

export const collectMispFeed: Collector = async (ctx) => {
  throw new FeedFetchError(ctx.feed.name, 'not implemented yet');
};
