import { ipv4ToUint32, ipv6ToBigInt, parseIPv6 } from '../indicators/address.js';
import { normalizeValue, type ParsedAddress } from '../indicators/normalize/index.js';
import type { Matcher } from './matcher.js';
import { parseQuery, type Query } from './query.js';
import { decide, verdictOfHit, type Decision } from './verdict.js';

/**
 * The decision on a value as a verdict query would make it, or, for a network (which verdict
 * queries refuse), the set's entry for that exact network.
 */
export function decisionFor(matcher: Matcher, value: string): Decision {
  let query: Query;
  try {
    query = parseQuery(value, 'value', 'value');
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
  const decision = decide(matcher, query);
  if (decision.hit || (query.type !== 'ipv4' && query.type !== 'ipv6')) return decision;
  // Held networks are left out of the lookup ranges; explain still names the one that holds it.
  const held = heldNetworkAround(matcher, query.address);
  if (held < 0) return decision;
  const hit = { entry: held, kind: 'cidr' as const, allowed: false, held: true };
  return { ...decision, hit, score: matcher.entryScore(held) };
}

/** The narrowest held network containing the address, by scan (explain only); -1 when none. */
function heldNetworkAround(matcher: Matcher, address: ParsedAddress): number {
  const target = address.family === 4 ? BigInt(address.v4!) : ipv6ToBigInt(address.v6!);
  const width = address.family === 4 ? 32 : 128;
  let best = -1;
  let bestPrefix = -1;
  for (let e = 0; e < matcher.size; e++) {
    if (matcher.entryType(e) !== 'cidr' || !matcher.entryHeld(e)) continue;
    const [net, prefixText] = matcher.entryValue(e).split('/') as [string, string];
    if (net.includes(':') !== (address.family === 6)) continue;
    const prefix = Number(prefixText);
    const start = address.family === 4 ? BigInt(ipv4ToUint32(net)) : ipv6ToBigInt(parseIPv6(net)!);
    const shift = BigInt(width - prefix);
    if (target >> shift === start >> shift && prefix > bestPrefix) [best, bestPrefix] = [e, prefix];
  }
  return best;
}

export function safeNormalize(value: string) {
  try {
    return normalizeValue(value, 'auto');
  } catch {
    return undefined;
  }
}

