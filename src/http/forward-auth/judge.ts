import { SluiceError } from '../../errors.js';
import type { Matcher } from '../../match/matcher.js';
import { parseQuery, type Query } from '../../match/query.js';
import { decide, type Decision, type Verdict } from '../../match/verdict.js';
import type { Metrics } from '../../metrics/registry.js';
import { hostname, type Asked } from './request.js';

export type Check = 'client' | 'host' | 'url';

/** One check: the decision on the value, or a note on why there was nothing to look up. */
export type Judged = { check: Check; value: string; decision: Decision } | { check: Check; unreadable: string };
type Decided = Extract<Judged, { decision: Decision }>;

const RANK: Record<Verdict, number> = { allow: 0, monitor: 1, block: 2 };
/** Header values must stay short enough for any proxy's header buffer. */
const MAX_REASON = 200;

/**
 * Runs the configured checks in a fixed order. Each lookup counts as a verdict, as on
 * /v1/verdict; a value that cannot be read counts as type `unreadable`, verdict allow, so a
 * proxy that sends the wrong headers shows up in metrics instead of silently passing.
 */
export function judgeAll(matcher: Matcher, metrics: Metrics | undefined, checks: ReadonlySet<Check>, asked: Asked): Judged[] {
  const out: Judged[] = [];
  const judge = (check: Check, text: string | undefined, kind: 'ip' | 'domain' | 'url') =>
    out.push(judgeValue(matcher, metrics, check, text, kind));
  if (checks.has('client')) judge('client', asked.client, 'ip');
  // The URL's host is read even when only `host` is checked: it is better than the Host
  // header, which nginx and Traefik set to sluice's own address.
  let urlHost: string | undefined;
  let url: Judged | undefined;
  if (asked.url !== undefined) {
    url = checks.has('url') ? judgeValue(matcher, metrics, 'url', asked.url, 'url') : undefined;
    urlHost = url && 'decision' in url && url.decision.query.type === 'url' ? url.decision.query.url.host : readHost(asked.url);
  }
  if (checks.has('host')) {
    const host = asked.forwardedHost ?? urlHost ?? asked.hostHeader;
    const name = host === undefined ? undefined : hostname(host);
    judge('host', name, name !== undefined && (name.includes(':') || /^[\d.]+$/.test(name)) ? 'ip' : 'domain');
  }
  if (checks.has('url')) out.push(url ?? judgeValue(matcher, metrics, 'url', undefined, 'url'));
  return out;
}

function judgeValue(matcher: Matcher, metrics: Metrics | undefined, check: Check, text: string | undefined, kind: 'ip' | 'domain' | 'url'): Judged {
  if (text === undefined) return unreadable(metrics, check, `no ${check}`);
  let query: Query;
  try {
    query = parseQuery(text, kind, check);
  } catch (err) {
    if (!(err instanceof SluiceError)) throw err;
    return unreadable(metrics, check, `unreadable ${check}`);
  }
  const started = performance.now();
  const decision = decide(matcher, query);
  metrics?.lookupDuration.observe((performance.now() - started) / 1000);
  metrics?.verdicts.inc({ type: query.type, verdict: decision.verdict });
  return { check, value: shown(query), decision };
}

function unreadable(metrics: Metrics | undefined, check: Check, note: string): Judged {
  metrics?.verdicts.inc({ type: 'unreadable', verdict: 'allow' });
  return { check, unreadable: note };
}

function readHost(url: string): string | undefined {
  try {
    return new URL(url).host || undefined;
  } catch {
    return undefined;
  }
}

/** Canonical text: ASCII (names are punycode) and what a feed would list. */
function shown(query: Query): string {
  switch (query.type) {
    case 'domain':
      return query.name;
    case 'ipv4':
    case 'ipv6':
      return query.address.text;
    case 'url':
      return query.url.url;
    default:
      return query.input;
  }
}

/** The strongest verdict; on a tie the first check (client, host, url) speaks for it. */
export function strongest(results: readonly Judged[]): Decided | undefined {
  let best: Decided | undefined;
  for (const r of results) {
    if ('decision' in r && r.decision.verdict !== 'allow' && (!best || RANK[r.decision.verdict] > RANK[best.decision.verdict])) best = r;
  }
  return best;
}

/** `host bad.example.com listed by feed x`, or for an allow what was looked at and why it passed. */
export function reasonFor(results: readonly Judged[], deciding: Decided | undefined): string {
  if (deciding) return clip(listing(deciding));
  const notes: string[] = [];
  for (const r of results) if ('unreadable' in r) notes.push(r.unreadable);
  for (const r of results) {
    if (!('decision' in r) || !r.decision.hit) continue;
    const { hit, matcher } = r.decision;
    const indicator = matcher.entryValue(hit.entry);
    const as = indicator === r.value ? '' : ` as ${indicator}`;
    if (hit.allowed) notes.push(`${r.check} ${r.value} allowlisted${as}`);
    else if (hit.held) notes.push(`${r.check} ${r.value} listed${as} but held by a guard`);
    else notes.push(`${r.check} ${r.value} listed${as} below monitor_at`);
  }
  return clip(notes.length ? notes.join('; ') : 'not listed');
}

function listing(r: Decided): string {
  const { hit, matcher } = r.decision;
  const indicator = matcher.entryValue(hit!.entry);
  const feeds = matcher.entryFeeds(hit!.entry);
  const as = indicator === r.value ? '' : ` as ${indicator}`;
  return `${r.check} ${r.value} listed${as} by feed${feeds.length > 1 ? 's' : ''} ${feeds.join(', ')}`;
}

/** Header-safe: printable ASCII only, one line, bounded. */
export function clip(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length > MAX_REASON ? `${ascii.slice(0, MAX_REASON - 3)}...` : ascii;
}
