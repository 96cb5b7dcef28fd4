import { SluiceError } from '../../errors.js';
import type { Matcher } from '../../match/matcher.js';
import type { HttpDeps } from '../context.js';

/** The current set, for answers that list or scan it: an edge gateway holds too little for those. */
export function wholeSet(deps: HttpDeps): Matcher {
  const matcher = deps.holder.current;
  if (!matcher) throw new SluiceError('SLUICE_ERR_NOT_READY', 'no indicator set loaded yet');
  if (matcher.partial) {
    throw new SluiceError(
      'SLUICE_ERR_NOT_FOUND',
      'this gateway keeps only Bloom filters (redis.gateway.memory: edge) and cannot list indicators; pull lists from a full gateway',
    );
  }
  return matcher;
}
