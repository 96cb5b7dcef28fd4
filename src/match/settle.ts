import type { Matcher } from './matcher.js';

/** Rounds of confirmation before a key still unknown is answered by the unconfirmed policy. */
const MAX_ROUNDS = 3;

/**
 * Runs a lookup, which must be synchronous and free of side effects. A full matcher decides
 * at once and the result comes back as it is, with no promise on the hot path. An edge matcher
 * may find keys its Bloom filter holds but its cache does not know: those are confirmed in
 * Redis and the lookup runs again, now from the cache.
 */
export function settle<T>(matcher: Matcher, run: () => T): T | Promise<T> {
  const pending = matcher.unconfirmed;
  pending.length = 0;
  const first = run();
  if (pending.length === 0) return first;
  return (async () => {
    let result = first;
    for (let round = 0; round < MAX_ROUNDS && pending.length > 0; round++) {
      // Taken before the await: other lookups use the same list while this one waits.
      await matcher.confirm(pending.splice(0));
      result = run();
    }
    if (pending.length > 0) {
      // Evicted again by other lookups each time: answer by policy rather than loop.
      await matcher.confirm(pending.splice(0), true);
      result = run();
    }
    pending.length = 0;
    return result;
  })();
}

/** `settle` for callers already in async code. */
export async function settled<T>(matcher: Matcher, run: () => T): Promise<T> {
  return settle(matcher, run);
}
