import { FeedParseError } from '../../../errors.js';
import { readTimestamp } from '../fields.js';
import type { ParseReport, ValueFacts } from '../report.js';
import type { ParserOptions } from '../types.js';
import { attributeValues, isSet } from './attributes.js';
import { combine, markingOf, type Marking } from './context.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

const SHAPES =
  'expected {"Event": ...}, a list of events, or a restSearch answer {"response": [...]} / {"response": {"Attribute": [...]}}';

/**
 * MISP JSON: one event, a list of events, an events or attributes restSearch answer, and the
 * `{"response": [...]}` document the MISP feed collector builds. Attributes are numbered in
 * document order (objects' attributes after their event's own), and that number is the line.
 */
export function parseMisp(text: string, options: ParserOptions, report: ParseReport): void {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (err) {
    throw new FeedParseError(`not valid JSON: ${(err as Error).message}`);
  }
  const walker = new EventWalker(options, report);
  for (const [i, event] of eventsOf(root).entries()) {
    if (isObject(event)) walker.event(event);
    else report.reject(undefined, JSON.stringify(event) ?? String(event), `element ${i + 1} is not a MISP event`);
  }
}

/** The events of a document; an attribute list reads as one event without tags of its own. */
function eventsOf(root: unknown): unknown[] {
  if (Array.isArray(root)) return root.map(unwrap);
  if (!isObject(root)) throw new FeedParseError(`not a MISP document: ${SHAPES}`);
  if ('response' in root) {
    const response = root.response;
    if (Array.isArray(response)) return response.map(unwrap);
    if (isObject(response) && Array.isArray(response.Attribute)) return [response];
    throw new FeedParseError(`not a MISP restSearch answer: "response" holds neither events nor attributes; ${SHAPES}`);
  }
  if ('Event' in root) {
    if (isObject(root.Event)) return [root.Event];
    throw new FeedParseError('not a MISP event: "Event" is not an object');
  }
  // An event exported without its wrapper, or {"Attribute": [...]}: the same walk reads both.
  if (Array.isArray(root.Attribute) || Array.isArray(root.Object)) return [root];
  // A MISP server answers errors (a bad API key, a bad filter) with JSON too: show what it said.
  const said = typeof root.message === 'string' ? ` (the server said: ${JSON.stringify(root.message.slice(0, 200))})` : '';
  throw new FeedParseError(`not a MISP document${said}: ${SHAPES}`);
}

function unwrap(element: unknown): unknown {
  return isObject(element) && isObject(element.Event) ? element.Event : element;
}

class EventWalker {
  /** Running attribute number across the document, skipped ones included. */
  private line = 0;

  constructor(
    private readonly options: ParserOptions,
    private readonly report: ParseReport,
  ) {}

  event(event: Json): void {
    const marking = markingOf(event);
    for (const attribute of list(event.Attribute)) this.attribute(attribute, marking, false);
    for (const object of list(event.Object)) {
      if (!isObject(object)) continue;
      const deleted = isSet(object.deleted);
      for (const attribute of list(object.Attribute)) this.attribute(attribute, marking, deleted);
    }
  }

  private attribute(attribute: unknown, eventMarking: Marking, objectDeleted: boolean): void {
    const line = ++this.line;
    if (!isObject(attribute)) {
      this.report.reject(line, JSON.stringify(attribute) ?? String(attribute), 'attribute is not an object');
      return;
    }
    const type = typeof attribute.type === 'string' ? attribute.type.trim() : '';
    const value = typeof attribute.value === 'string' ? attribute.value : typeof attribute.value === 'number' ? String(attribute.value) : '';
    if (objectDeleted || isSet(attribute.deleted)) return this.report.skip(line, value, 'deleted');
    // to_ids is the producer's own call on what may be enforced, so it is judged first; the
    // type reasons then list only what a producer wanted enforced and sluice cannot enforce.
    if (this.options.misp.to_ids_only && !isSet(attribute.to_ids)) return this.report.skip(line, value, 'not to_ids');
    const values = attributeValues(type, value);
    if (!values) return this.report.skip(line, value, `type ${type || '(none)'}`);
    if (values.length === 0) return this.report.skip(line, value, `${type} not an absolute URL`);

    const facts = factsOf(attribute, combine(eventMarking, markingOf(attribute)));
    for (const v of values) {
      const tags = v.tags ? [...(facts.tags ?? []), ...v.tags] : facts.tags;
      this.report.value(v.raw, line, v.hint, tags === facts.tags ? facts : { ...facts, tags });
    }
  }
}

function factsOf(attribute: Json, marking: Marking): ValueFacts {
  const facts: ValueFacts = {};
  // Tags and context arrays are shared by every value of an event: one copy, not one per value.
  if (marking.tags.length) facts.tags = marking.tags;
  if (marking.context.length) facts.context = marking.context;
  if (marking.tlp !== undefined) facts.tlp = marking.tlp;
  // Without first_seen, `timestamp` (the attribute's last change) is the closest MISP comes:
  // the value was known then at the latest.
  const firstSeen = readTimestamp(attribute.first_seen) ?? readTimestamp(attribute.timestamp);
  if (firstSeen !== undefined) facts.firstSeen = firstSeen;
  return facts;
}

