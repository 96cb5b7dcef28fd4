import { FeedParseError } from '../../../errors.js';
import { MAX_EXAMPLES, type ParseReport, type ValueFacts } from '../report.js';
import type { ParserOptions } from '../types.js';
import { contextOf, indexBundle, tlpOf, type BundleIndex, type StixObject } from './context.js';
import { extractValues, type PatternValue } from './observables.js';
import { parsePattern, PatternSyntaxError } from './pattern.js';

/**
 * STIX 2.x bundles (and TAXII envelopes, which carry the same `objects` list). Indicators with
 * STIX patterns become values; positions are 1-based indexes into `objects`, as JSON has no
 * lines. Only a body that is not a bundle at all throws; every bad object is counted.
 */
export function parseStix(text: string, options: ParserOptions, report: ParseReport): void {
  const current = currentVersions(readObjects(text), report);
  const index = indexBundle(current.values());
  for (const [line, obj] of current) {
    if (obj.type === 'indicator') readIndicator(obj, line, options, index, report);
  }
}

function readObjects(text: string): unknown[] {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (err) {
    throw new FeedParseError(`not valid JSON: ${(err as Error).message}`);
  }
  if (Array.isArray(root)) {
    throw new FeedParseError('not a STIX bundle: a JSON array, not {"type": "bundle", "objects": [...]}');
  }
  if (!root || typeof root !== 'object') {
    throw new FeedParseError(`not a STIX bundle: a JSON ${root === null ? 'null' : typeof root}`);
  }

  const { type, objects } = root as { type?: unknown; objects?: unknown };
  if (type !== undefined && type !== 'bundle') {
    throw new FeedParseError(`not a STIX bundle: a single ${JSON.stringify(type)} object`);
  }
  if (!Array.isArray(objects)) throw new FeedParseError('not a STIX bundle: no objects array');
  return objects;
}

/**
 * One version per id, the newest by `modified`, at its own position: a later revoked version
 * of an indicator in the same bundle (or the same TAXII collection) withdraws it.
 */
function currentVersions(objects: unknown[], report: ParseReport): Map<number, StixObject> {
  const byId = new Map<string, { line: number; obj: StixObject; modified: number }>();
  objects.forEach((obj, i) => {
    const line = i + 1;
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) {
      report.reject(line, JSON.stringify(obj) ?? String(obj), 'not a STIX object');
      return;
    }
    const { type, id } = obj as Record<string, unknown>;
    if (typeof type !== 'string' || typeof id !== 'string') {
      report.reject(line, JSON.stringify(obj), 'STIX object without type or id');
      return;
    }
    const o = obj as StixObject;
    const modified = stixTime(o.modified) ?? stixTime(o.created) ?? -Infinity;
    const seen = byId.get(id);
    if (!seen || modified >= seen.modified) byId.set(id, { line, obj: o, modified });
  });
  const byLine = [...byId.values()].sort((a, b) => a.line - b.line);
  return new Map(byLine.map((v) => [v.line, v.obj]));
}

function readIndicator(
  obj: StixObject,
  line: number,
  options: ParserOptions,
  index: BundleIndex,
  report: ParseReport,
): void {
  const id = obj.id;
  if (obj.revoked === true) return report.skip(line, id, 'revoked');
  // STIX 2.0 had no pattern_type: every pattern was a STIX pattern.
  const patternType = obj.pattern_type ?? 'stix';
  if (patternType !== 'stix') {
    return report.skip(line, id, `pattern_type ${String(patternType)} not supported`);
  }
  if (typeof obj.pattern !== 'string') return report.reject(line, id, 'indicator without a pattern');

  const validity = validityOf(obj, options.now);
  for (const note of validity.notes) noteAdjusted(report, line, id, note);
  if (validity.skip) return report.skip(line, id, validity.skip);

  const facts = factsOf(obj, index, validity.from);
  if (facts.action === 'allow' && !options.stix.benign_as_allow) {
    return report.skip(line, id, 'benign indicator (stix.benign_as_allow is off)');
  }

  let tree;
  try {
    tree = parsePattern(obj.pattern);
  } catch (err) {
    if (!(err instanceof PatternSyntaxError)) throw err;
    return report.reject(line, `${id}: ${obj.pattern}`, `invalid pattern: ${err.message}`);
  }
  const { values, unsupported } = extractValues(tree);
  const reasons = new Set(unsupported);
  const ctx: EmitContext = { line, id, now: options.now, facts, until: validity.until, reasons };
  for (const v of unique(values)) emit(v, ctx, report);
  for (const reason of ctx.reasons) report.skip(line, `${id}: ${obj.pattern}`, reason);
}

interface EmitContext {
  line: number;
  id: string;
  now: number;
  facts: ValueFacts;
  until: number | undefined;
  reasons: Set<string>;
}

function emit(v: PatternValue, ctx: EmitContext, report: ParseReport): void {
  if (v.window && !(v.window.start <= ctx.now && ctx.now < v.window.stop)) {
    ctx.reasons.add('outside its START/STOP window');
    return;
  }
  const facts: ValueFacts = { ...ctx.facts };
  if (v.tags) facts.tags = [...new Set([...(facts.tags ?? []), ...v.tags])];
  const until = Math.min(ctx.until ?? Infinity, v.window?.stop ?? Infinity);
  if (Number.isFinite(until)) facts.validUntil = Math.floor(until);

  if (report.value(v.raw, ctx.line, v.hint, facts) === 0) return;
  if (v.retyped) noteAdjusted(report, ctx.line, `${ctx.id}: ${v.raw}`, v.retyped);
  if (v.dropped) ctx.reasons.add(v.dropped);
}

function unique(values: PatternValue[]): PatternValue[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const key = `${v.hint}\0${v.raw}\0${v.tags?.join(',')}\0${v.window?.start}-${v.window?.stop}`;
    return !seen.has(key) && seen.add(key);
  });
}

const INVALID_WINDOW = 'invalid validity window (valid_until not after valid_from): valid_until ignored';

interface Validity {
  /** Epoch seconds. */
  from?: number;
  until?: number;
  skip?: string;
  notes: string[];
}

/**
 * valid_from and valid_until against now. A valid_until not after valid_from is a producer bug
 * that can be stamped on every object of a feed, so it is reported and ignored: read as an
 * expiry it would wipe the feed.
 */
function validityOf(obj: StixObject, now: number): Validity {
  const out: Validity = { notes: [] };
  const from = stixTime(obj.valid_from);
  let until = stixTime(obj.valid_until);
  if (obj.valid_from !== undefined && from === undefined) out.notes.push('unreadable valid_from ignored');
  if (obj.valid_until !== undefined && until === undefined) {
    out.notes.push('unreadable valid_until ignored');
  }
  if (from !== undefined && until !== undefined && until <= from) {
    out.notes.push(INVALID_WINDOW);
    until = undefined;
  }

  if (from !== undefined) out.from = from;
  if (until !== undefined) out.until = until;
  if (until !== undefined && until <= now) out.skip = 'expired (valid_until passed)';
  else if (from !== undefined && from > now) out.skip = 'not yet valid (valid_from in the future)';
  return out;
}

function factsOf(obj: StixObject, index: BundleIndex, validFrom: number | undefined): ValueFacts {
  // STIX 2.0 put the indicator types in `labels`; 2.1 keeps labels as free tags.
  const tags = [...new Set([...strings(obj.indicator_types), ...strings(obj.labels)])];
  const facts: ValueFacts = { action: tags.includes('benign') ? 'allow' : 'block' };
  if (tags.length) facts.tags = tags;

  const confidence = obj.confidence;
  if (typeof confidence === 'number' && confidence >= 0 && confidence <= 100) {
    facts.confidence = Math.round(confidence);
  }
  if (validFrom !== undefined) facts.firstSeen = Math.floor(validFrom);

  const context = contextOf(index, obj.id);
  if (context.length) facts.context = context;
  const tlp = tlpOf(index, obj);
  if (tlp) facts.tlp = tlp;
  return facts;
}

function strings(raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter((s): s is string => typeof s === 'string' && s.trim() !== '').map((s) => s.trim());
}

/** Epoch seconds, fractions kept, of a STIX timestamp (RFC 3339, UTC). */
function stixTime(raw: unknown): number | undefined {
  if (typeof raw !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(raw)) return undefined;
  const ms = Date.parse(raw);
  return Number.isFinite(ms) ? ms / 1000 : undefined;
}

/**
 * Counts a change the parser itself made (a retyped value, an ignored validity window) the way
 * ParseReport counts normalization notes: it has no method for notes from elsewhere.
 */
function noteAdjusted(report: ParseReport, line: number, value: string, reason: string): void {
  const tally = report.adjusted;
  tally.count++;
  tally.reasons[reason] = (tally.reasons[reason] ?? 0) + 1;
  const clipped = value.length > 200 ? `${value.slice(0, 200)}…` : value;
  if (tally.examples.length < MAX_EXAMPLES) tally.examples.push({ line, value: clipped, reason });
}
