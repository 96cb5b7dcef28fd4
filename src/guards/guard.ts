import type { EntryGuard, GuardFindings } from '../indicators/build.js';
import { isPublicSuffix } from '../indicators/normalize/index.js';
import type { GuardNote, IndicatorEntry } from '../indicators/set.js';
import { SpanIndex, spanOf } from './ranges.js';
import { specialRanges } from './special-ranges.js';
import type { Warninglist } from './warninglists.js';

export interface GuardOptions {
  /** Networks wider than these prefixes are held (default /8 and /32). */
  ipv4MinPrefix: number;
  ipv6MinPrefix: number;
  /** Special-use ranges the operator wants enforced after all. */
  enforceRanges: readonly string[];
  warninglists: readonly Warninglist[];
}

/** example.com, example.net, example.org and the example TLD, with every name below them. */
const DOCUMENTATION_NAMES = /(^|\.)(example|example\.com|example\.net|example\.org)$/;

interface NameRule {
  list: string;
  /** Covers names below it too, not only the name itself. */
  below: boolean;
  /** From a list the operator configured, not a bundled one. */
  own: boolean;
}

/** Names of one mode: value to the first list that has it. */
class NameIndex {
  private readonly rules = new Map<string, NameRule>();

  add(name: string, rule: NameRule): void {
    const known = this.rules.get(name);
    if (!known || (!known.below && rule.below)) this.rules.set(name, rule);
  }

  /**
   * The list covering `name`: the name itself, or a parent on a list of names. A parent that
   * is a public suffix (github.io, duckdns.org, workers.dev: anyone can register below it)
   * covers nothing below it on a bundled list, since those names belong to whoever registered
   * them, not to the popular site; a list of the operator's own covers what it says. Names
   * reserved for documentation (RFC 2606) are never covered, so examples and tests stay
   * enforceable, as the documentation address ranges do.
   */
  find(name: string): { at: string; rule: NameRule } | undefined {
    if (DOCUMENTATION_NAMES.test(name)) return undefined;
    const own = this.rules.get(name);
    if (own) return { at: name, rule: own };
    for (let dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.', dot + 1)) {
      const parent = name.slice(dot + 1);
      const rule = this.rules.get(parent);
      if (rule?.below && (rule.own || !isPublicSuffix(parent))) return { at: parent, rule };
    }
    return undefined;
  }
}

/**
 * The blast-radius guard on each listed entry: special-use address space, networks wider than
 * the prefix floor, and values on warninglists. Allow-mode lists hold an entry back; warn-mode
 * lists let it through with a warning. URL indicators are never held by a name list, so a
 * malicious URL on a top site is still enforced at URL level.
 */
export function createGuard(options: GuardOptions): EntryGuard {
  const special = specialRanges(options.enforceRanges);
  const names = { allow: new NameIndex(), warn: new NameIndex() };
  const spans = { allow: new SpanIndex<string>(), warn: new SpanIndex<string>() };
  for (const list of options.warninglists) {
    // Top-site lists of type string hold registrable names (google.com): a name below one is
    // the same site, so every list of names covers the names below its entries. Hash lists
    // have no parents to walk.
    for (const name of list.names) names[list.mode].add(name, { list: list.name, below: true, own: !list.bundled });
    for (const span of list.spans) spans[list.mode].add(span, list.name);
  }
  spans.allow.seal();
  spans.warn.seal();

  const nameFindings = (value: string): GuardFindings | undefined => {
    const held = names.allow.find(value);
    if (held) return { held: onList('warninglist', value, held.at, held.rule.list) };
    const warned = names.warn.find(value);
    return warned ? { warnings: [onList('warninglist', value, warned.at, warned.rule.list)] } : undefined;
  };

  return (entry: IndicatorEntry) => {
    switch (entry.type) {
      case 'url':
        return undefined;
      case 'domain':
      case 'md5':
      case 'sha1':
      case 'sha256':
        return nameFindings(entry.value);
      default: {
        const span = spanOf(entry.value);
        if (!span) return undefined;
        const floor = span.family === 4 ? options.ipv4MinPrefix : options.ipv6MinPrefix;
        if (span.prefix < floor) {
          return { held: { guard: 'wide-prefix', detail: `${entry.value} is wider than the /${floor} floor for IPv${span.family}` } };
        }
        const what = special.check(span);
        if (what) return { held: { guard: 'special-range', detail: `${entry.value} touches special-use space: ${what}` } };
        const held = spans.allow.overlapping(span);
        if (held) return { held: { guard: 'warninglist', detail: `${entry.value} overlaps warninglist ${held.value}` } };
        const warned = spans.warn.overlapping(span);
        return warned ? { warnings: [{ guard: 'warninglist', detail: `${entry.value} overlaps warninglist ${warned.value}` }] } : undefined;
      }
    }
  };
}

function onList(guard: string, value: string, at: string, list: string): GuardNote {
  const where = at === value ? `${value} is` : `${value} is under ${at},`;
  return { guard, detail: `${where} on warninglist ${list}` };
}
