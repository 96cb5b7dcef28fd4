import { FeedParseError } from '../../errors.js';
import { hintFromLabel, readConfidence, readTags, readTimestamp } from './fields.js';
import type { ParseReport, ValueFacts } from './report.js';
import type { JsonOptions, ParserOptions } from './types.js';

/** Field names tried, in order, for the value of an object element when none is configured. */
const VALUE_FIELDS = ['indicator', 'ioc', 'value', 'ioc_value', 'url', 'domain', 'ip'];

/**
 * A JSON document (or a sequence of them: NDJSON, RFC 7464 with RS separators) whose values sit
 * at `path` (dotted, `*` for every element): strings, or objects with the value in `field`.
 * Positions are reported as the element's ordinal number.
 */
export function parseJson(text: string, options: ParserOptions, report: ParseReport): void {
  const roots = readDocuments(text);
  const opts = options.json;
  let ordinal = 0;

  for (const root of roots) {
    const nodes = opts.path.length ? opts.path.flatMap((p) => select(root, p)) : [root];
    for (const node of nodes) {
      for (const element of Array.isArray(node) ? node : [node]) {
        ordinal++;
        readElement(element, ordinal, opts, options, report);
      }
    }
  }
}

function readDocuments(text: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  if (!trimmed.startsWith('\x1e')) {
    try {
      return [JSON.parse(trimmed)];
    } catch (err) {
      if (!/^\{[^\n]*\}\s*\n\s*\{/.test(trimmed)) {
        throw new FeedParseError(`not valid JSON: ${(err as Error).message}`);
      }
    }
  }
  return trimmed
    .split(/[\x1e\n]/)
    .map((chunk) => chunk.trim())
    .filter((chunk) => chunk !== '')
    .map((chunk, i) => {
      try {
        return JSON.parse(chunk) as unknown;
      } catch (err) {
        throw new FeedParseError(`record ${i + 1} is not valid JSON: ${(err as Error).message}`);
      }
    });
}

/** Every node at a dotted path; `*` steps into every element of an array or object. */
function select(root: unknown, path: string): unknown[] {
  let nodes: unknown[] = [root];
  for (const step of path.split('.')) {
    const next: unknown[] = [];
    for (const node of nodes) {
      if (step === '*') {
        if (Array.isArray(node)) next.push(...node);
        else if (node && typeof node === 'object') next.push(...Object.values(node));
      } else if (node && typeof node === 'object' && step in node) {
        next.push((node as Record<string, unknown>)[step]);
      }
    }
    nodes = next;
  }
  if (nodes.length === 0) throw new FeedParseError(`JSON path ${path} matches nothing`);
  return nodes;
}

function field(element: unknown, name: string | undefined): unknown {
  if (name === undefined) return undefined;
  let node = element;
  for (const step of name.split('.')) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[step];
  }
  return node;
}

function readElement(
  element: unknown,
  ordinal: number,
  opts: JsonOptions,
  options: ParserOptions,
  report: ParseReport,
): void {
  if (typeof element === 'string') {
    report.value(element, ordinal, options.hint);
    return;
  }
  if (!element || typeof element !== 'object') {
    report.reject(ordinal, JSON.stringify(element) ?? String(element), 'element is not a string or object');
    return;
  }
  const name = opts.field ?? VALUE_FIELDS.find((f) => typeof field(element, f) === 'string');
  const value = field(element, name);
  if (typeof value !== 'string' || value.trim() === '') {
    report.reject(ordinal, JSON.stringify(element).slice(0, 200), `no string in field ${name ?? '(none)'}`);
    return;
  }
  const label = field(element, opts.type_field);
  const hint = hintFromLabel(typeof label === 'string' ? label : undefined) ?? options.hint;
  report.value(value, ordinal, hint, factsOf(element, opts));
}

function factsOf(element: unknown, opts: JsonOptions): ValueFacts {
  const facts: ValueFacts = {};
  const confidence = readConfidence(field(element, opts.confidence_field));
  if (confidence !== undefined) facts.confidence = confidence;
  const firstSeen = readTimestamp(field(element, opts.first_seen_field));
  if (firstSeen !== undefined) facts.firstSeen = firstSeen;
  const tags = opts.tag_fields.flatMap((f) => readTags(field(element, f)));
  if (tags.length) facts.tags = [...new Set(tags)];
  return facts;
}
