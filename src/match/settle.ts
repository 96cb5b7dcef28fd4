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
  const touched = matcher.touched;
  pending.length = 0;
  touched.length = 0;
  const first = run();
  if (pending.length === 0) return first;
  return (async () => {
    // Every key this lookup relies on, the ones it found as well as the ones it asks for, stays
    // in reach until it ran again and its caller read the hits: other lookups evict around it.
    const held: string[] = [];
    const keep = () => {
      const keys = touched.splice(0);
      matcher.hold(keys);
      held.push(...keys);
    };
    try {
      let result = first;
      for (let round = 0; round < MAX_ROUNDS && pending.length > 0; round++) {
        keep();
        // Taken before the await: other lookups use the same lists while this one waits.
        await matcher.confirm(pending.splice(0));
        result = run();
      }
      if (pending.length > 0) {
        keep();
        await matcher.confirm(pending.splice(0), true);
        result = run();
      }
      pending.length = 0;
      touched.length = 0;
      return result;
    } finally {
      setImmediate(() => matcher.release(held));
    }
  })();
}

/** `settle` for callers already in async code. */
export async function settled<T>(matcher: Matcher, run: () => T): Promise<T> {
  return settle(matcher, run);
}
