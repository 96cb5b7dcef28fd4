import { scoreParts, type DecayModels, type SourcePart } from '../indicators/score.js';
import type { AllowRecord, GuardNote, Policy } from '../indicators/set.js';
import type { ThreatContext } from '../indicators/types.js';
import type { Hit, Matcher } from './matcher.js';
import type { Query } from './query.js';

export type Verdict = 'block' | 'monitor' | 'allow';

/** The outcome of one lookup: cheap to make, described in full only when someone asks. */
export interface Decision {
  query: Query;
  verdict: Verdict;
  score: number;
  hit: Hit | undefined;
  matcher: Matcher;
}

/** Finds the entry that decides a query in the given matcher. */
export function lookup(matcher: Matcher, query: Query): Hit | undefined {
  switch (query.type) {
    case 'domain':
      return matcher.lookupDomain(query.name);
    case 'ipv4':
    case 'ipv6':
      return matcher.lookupAddress(query.address);
    case 'url':
      return matcher.lookupUrl(query.url, query.hostAddress);
    default:
      return matcher.lookupHash(query.type, query.hex);
  }
}

/** Allowlisted: allow. Otherwise the score against the policy's block and monitor thresholds. */
export function verdictFor(score: number, allowed: boolean, policy: Policy): Verdict {
  if (allowed) return 'allow';
  if (score >= policy.block_at) return 'block';
  if (score >= policy.monitor_at) return 'monitor';
  return 'allow';
}

/** The verdict a hit gives: held entries allow, monitor-only ones stop at monitor. */
export function verdictOfHit(matcher: Matcher, hit: Hit | undefined): Verdict {
  if (!hit || hit.held) return 'allow';
  const verdict = verdictFor(matcher.entryScore(hit.entry), hit.allowed, matcher.set.meta.policy);
  return verdict === 'block' && matcher.entryMonitorOnly(hit.entry) ? 'monitor' : verdict;
}

export function decide(matcher: Matcher, query: Query): Decision {
  const hit = lookup(matcher, query);
  if (!hit) return { query, verdict: 'allow', score: 0, hit, matcher };
  return { query, verdict: verdictOfHit(matcher, hit), score: matcher.entryScore(hit.entry), hit, matcher };
}

/** A source as the HTTP API and `sluice check` show it. */
export interface SourceView {
  feed: string;
  confidence: number;
  first_seen: string;
  last_seen: string;
  tags?: string[];
  line?: number;
  original?: string;
  tlp?: string;
  valid_until?: string;
  context?: ThreatContext[];
}

/** The verdict object of DESIGN.md, plus the allow entries and readable reasons. */
export interface VerdictBody {
  value: string;
  type: string;
  verdict: Verdict;
  score: number;
  match: { indicator: string; type: string; kind: string } | null;
  sources: SourceView[];
  tags: string[];
  /** Named threat objects (malware, actors, campaigns, techniques) every source ties it to. */
  context: ThreatContext[];
  allowlist: AllowRecord[];
  /** The guard that keeps the matched entry out of enforcement. */
  quarantine?: GuardNote;
  /** Warn-mode warninglists the matched value is on. */
  warnings?: string[];
  reasons: string[];
  version: number;
  /** With explain: each source's part in the score as of now. */
  score_parts?: { sources: SourcePart[]; corroboration: number; combined_now: number; monitor_only: boolean };
}

export interface DescribeOptions {
  /** Ageing per type, to show each source's decayed part (explain). */
  decay?: DecayModels;
  /** Epoch seconds; defaults to now. */
  now?: number;
}

const iso = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString();

export function describe(decision: Decision, options: DescribeOptions = {}): VerdictBody {
  const { query, matcher, hit } = decision;
  const body: VerdictBody = {
    value: query.input,
    type: query.type,
    verdict: decision.verdict,
    score: decision.score,
    match: null,
    sources: [],
    tags: [],
    context: [],
    allowlist: [],
    reasons: [],
    version: matcher.version,
  };
  if (!hit) {
    body.reasons.push('not listed by any feed');
    return body;
  }

  const indicator = matcher.entryValue(hit.entry);
  const detail = matcher.entryDetail(hit.entry);
  body.match = { indicator, type: matcher.entryType(hit.entry), kind: hit.kind };
  body.sources = detail.sources.map((s) => {
    const view: SourceView = {
      feed: s.feed,
      confidence: s.confidence,
      first_seen: iso(s.firstSeen),
      last_seen: iso(s.lastSeen),
    };
    if (s.tags?.length) view.tags = s.tags;
    if (s.line !== undefined) view.line = s.line;
    if (s.original !== undefined) view.original = s.original;
    if (s.tlp !== undefined) view.tlp = s.tlp;
    if (s.validUntil !== undefined) view.valid_until = iso(s.validUntil);
    if (s.context?.length) view.context = s.context;
    return view;
  });
  const seen = new Set<string>();
  for (const c of detail.sources.flatMap((s) => s.context ?? [])) {
    const key = `${c.kind}\0${c.name}`;
    if (!seen.has(key)) body.context.push(c), seen.add(key);
  }
  body.tags = [...new Set(detail.sources.flatMap((s) => s.tags ?? []))];
  body.allowlist = detail.allow;
  if (detail.held) body.quarantine = detail.held;
  if (detail.warnings?.length) body.warnings = detail.warnings.map((w) => w.detail);
  if (options.decay && detail.sources.length) {
    const type = matcher.entryType(hit.entry);
    const now = options.now ?? Math.floor(Date.now() / 1000);
    const { parts, combined } = scoreParts(detail.sources, options.decay[type], now);
    body.score_parts = {
      sources: parts,
      corroboration: parts.length,
      combined_now: combined,
      monitor_only: matcher.entryMonitorOnly(hit.entry),
    };
  }
  body.reasons = reasonsFor(decision, indicator, body);
  return body;
}

function reasonsFor(decision: Decision, indicator: string, body: VerdictBody): string[] {
  const reasons: string[] = [];
  const how = body.match!.kind === 'exact' ? '' : ` (${body.match!.kind} match)`;
  for (const s of body.sources) {
    const where = s.line !== undefined ? ` line ${s.line}` : '';
    reasons.push(`${indicator}${how} listed by ${s.feed}${where}, confidence ${s.confidence}`);
  }
  if (body.sources.length > 1) reasons.push(`${body.sources.length} feeds agree: score ${body.score}`);
  for (const a of body.allowlist) {
    const where = a.line !== undefined ? ` line ${a.line}` : '';
    reasons.push(`${indicator} allowed by ${a.list}${where}${a.reason ? `: ${a.reason}` : ''}`);
  }
  if (body.quarantine) reasons.push(`quarantined by the ${body.quarantine.guard} guard: ${body.quarantine.detail}; not enforced`);
  for (const w of body.warnings ?? []) reasons.push(`warning: ${w}`);
  const policy = decision.matcher.set.meta.policy;
  if (!decision.hit!.allowed && !decision.hit!.held) {
    reasons.push(`score ${body.score} against block_at ${policy.block_at}, monitor_at ${policy.monitor_at}`);
    if (decision.matcher.entryMonitorOnly(decision.hit!.entry) && body.score >= policy.block_at) {
      reasons.push('only monitor-mode feeds reach block_at: monitor, not block');
    }
  }
  return reasons;
}
