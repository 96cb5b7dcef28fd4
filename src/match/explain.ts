import { normalizeValue } from '../indicators/normalize/index.js';
import type { Matcher } from './matcher.js';
import { parseQuery, type Query } from './query.js';
import { decide, verdictOfHit, type Decision } from './verdict.js';

/**
 * The decision on a value as a verdict query would make it, or, for a network (which verdict
 * queries refuse), the set's entry for that exact network.
 */
export function decisionFor(matcher: Matcher, value: string): Decision {
  try {
    return decide(matcher, parseQuery(value, 'value', 'value'));
  } catch (err) {
    const normalized = safeNormalize(value);
    const cidr = normalized?.values.find((v) => v.type === 'cidr');
    if (!cidr) throw err;
    const entry = matcher.findByValue('cidr', cidr.value);
    const query = { input: value, type: 'cidr' } as unknown as Query;
    if (entry < 0) return { query, verdict: 'allow', score: 0, hit: undefined, matcher };
    const hit = { entry, kind: 'exact' as const, allowed: matcher.entryAllowed(entry), held: matcher.entryHeld(entry) };
    return { query, verdict: verdictOfHit(matcher, hit), score: matcher.entryScore(entry), hit, matcher };
  }
}

export function safeNormalize(value: string) {
  try {
    return normalizeValue(value, 'auto');
  } catch {
    return undefined;
  }
}

