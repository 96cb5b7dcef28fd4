import { FeedFetchError } from '../../errors.js';
import type { Collector } from './types.js';

export const collectTaxii: Collector = async (ctx) => {
  throw new FeedFetchError(ctx.feed.name, 'not implemented yet');
};
