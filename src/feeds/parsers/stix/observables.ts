import { parseAddress } from '../../../indicators/normalize/index.js';
import type { TypeHint } from '../../../indicators/types.js';
import type { Comparison, Literal, ObjectPath, Observation, Qualifier } from './pattern.js';

/**
 * What a gateway can enforce of a STIX pattern. A value is taken only where matching it alone
 * is no broader than the pattern: an OR yields each branch it can enforce, and anything else
 * (AND, FOLLOWEDBY, NOT, ranges, regular expressions, counting qualifiers) yields a reason
 * instead of a value. One deliberate exception: a network-traffic destination with a port.
 */

/** START/STOP of a pattern, epoch seconds; STOP is exclusive. */
export interface Window {
  start: number;
  stop: number;
}

export interface PatternValue {
  raw: string;
  hint: TypeHint;
  tags?: string[];
  /** Set when the literal's form contradicts its declared type: why it was retyped. */
  retyped?: string;
  window?: Window;
  /** A constraint of the pattern the value does not carry, so it is enforced more broadly. */
  dropped?: string;
}

export interface Extraction {
  values: PatternValue[];
  /** Why parts of the pattern are not enforced; stable texts that a feed status counts. */
  unsupported: string[];
}

/** STIX 2.1 cyber-observable types: any other name is a producer's misspelling, not a guess. */
const KNOWN_TYPES = new Set([
  'artifact',
  'autonomous-system',
  'directory',
  'domain-name',
  'email-addr',
  'email-message',
  'file',
  'ipv4-addr',
  'ipv6-addr',
  'mac-addr',
  'mutex',
  'network-traffic',
  'process',
  'software',
  'url',
  'user-account',
  'windows-registry-key',
  'x509-certificate',
]);

type HashType = 'md5' | 'sha1' | 'sha256';

/** The type a comparison's path declares; `destination` is a network-traffic dst_ref. */
type Declared = 'ipv4-addr' | 'ipv6-addr' | 'domain-name' | 'url' | 'destination' | HashType;

const VALUE_PATHS: Record<string, Declared> = {
  'ipv4-addr:value': 'ipv4-addr',
  'ipv6-addr:value': 'ipv6-addr',
  'domain-name:value': 'domain-name',
  'url:value': 'url',
  'network-traffic:dst_ref.value': 'destination',
};

/** Hash keys by spelling with case, hyphens and underscores removed: MD5, 'SHA-1', sha256. */
const HASH_KEYS: Record<string, HashType> = { MD5: 'md5', SHA1: 'sha1', SHA256: 'sha256' };

const HASH_BY_LENGTH: Record<number, HashType> = { 32: 'md5', 40: 'sha1', 64: 'sha256' };

const PORT_DROPPED = 'port constraint dropped';

/** The enforceable values of a parsed pattern, and why the rest is not enforced. */
export function extractValues(tree: Observation): Extraction {
  switch (tree.kind) {
    case 'observation':
      return fromComparison(tree.test);
    case 'or':
      return union(tree.items.map(extractValues));
    case 'and':
      return unsupported('AND of observations not supported');
    case 'followedby':
      return unsupported('FOLLOWEDBY not supported');
    case 'qualified':
      return qualified(tree.target, tree.qualifier);
  }
}

function qualified(target: Observation, q: Qualifier): Extraction {
  // WITHIN and REPEATS correlate several sightings over time; one lookup cannot honour them.
  if (q.kind === 'within') return unsupported('WITHIN qualifier not supported');
  if (q.kind === 'repeats') return unsupported('REPEATS qualifier not supported');
  if (q.stop <= q.start) return unsupported('START/STOP window is empty');

  const inner = extractValues(target);
  const values = inner.values.map((v) => {
    const start = Math.max(q.start, v.window?.start ?? q.start);
    const stop = Math.min(q.stop, v.window?.stop ?? q.stop);
    return { ...v, window: { start, stop } };
  });
  return { values, unsupported: inner.unsupported };
}

function fromComparison(test: Comparison): Extraction {
  switch (test.kind) {
    case 'or':
      return union(test.items.map(fromComparison));
    case 'and':
      return fromAnd(flattenAnd(test.items));
    case 'exists':
      return unsupported('EXISTS not supported');
    case 'compare':
      return fromCompare(test);
  }
}

type Compare = Extract<Comparison, { kind: 'compare' }>;

/**
 * `[network-traffic:dst_ref.value = A AND network-traffic:dst_port = P]`: enforcing A on every
 * port is the coarsest safe reading for an IP gateway, and the port is kept as a tag. Any
 * other AND would be widened by dropping a condition, so it is not enforced.
 */
function fromAnd(items: Comparison[]): Extraction {
  const compares = items.filter((c): c is Compare => c.kind === 'compare' && !c.negated);
  const dest = compares.filter((c) => pathText(c.path) === 'network-traffic:dst_ref.value');
  const ports = compares.filter((c) => pathText(c.path) === 'network-traffic:dst_port' && c.op === '=');
  const port = ports[0]?.value;
  const validPort = port?.kind === 'int' && port.value >= 1 && port.value <= 65535;
  if (dest.length !== 1 || ports.length !== 1 || items.length !== 2 || !validPort) {
    return unsupported('AND of comparisons not supported');
  }

  const inner = fromCompare(dest[0]!);
  const tags = [`port:${port.value}`];
  const values = inner.values.map((v) => ({ ...v, tags, dropped: PORT_DROPPED }));
  return { values, unsupported: inner.unsupported };
}

function flattenAnd(items: Comparison[]): Comparison[] {
  return items.flatMap((c) => (c.kind === 'and' ? flattenAnd(c.items) : [c]));
}

function fromCompare(test: Compare): Extraction {
  if (test.negated) return unsupported('negation (NOT) not supported');
  const declared = declaredType(test.path);
  if (typeof declared !== 'string') return unsupported(declared.reason);

  let literals: Literal[];
  if (test.op === '=') literals = [test.value];
  else if (test.op === 'IN' && test.value.kind === 'set') literals = test.value.items;
  else if (test.op === 'ISSUBSET' && isAddressType(declared)) literals = [test.value];
  else return unsupported(`operator ${test.op} on ${pathText(test.path)} not supported`);
  if (literals.length === 0) return unsupported('empty IN set');

  const out: Extraction = { values: [], unsupported: [] };
  for (const literal of literals) {
    if (literal.kind === 'string') out.values.push(typed(literal.value, declared));
    else out.unsupported.push(`${literal.kind} literal on ${pathText(test.path)} not supported`);
  }
  return out;
}

function declaredType(path: ObjectPath): Declared | { reason: string } {
  const text = pathText(path);
  if (Object.hasOwn(VALUE_PATHS, text)) return VALUE_PATHS[text]!;

  const key = hashKey(path);
  if (key !== undefined) {
    const spelling = key.toUpperCase().replace(/[-_\s]/g, '');
    if (Object.hasOwn(HASH_KEYS, spelling)) return HASH_KEYS[spelling]!;
    return { reason: `hash type ${key} not supported` };
  }
  if (!KNOWN_TYPES.has(path.type) && !path.type.startsWith('x-')) {
    return { reason: `unknown object type ${path.type}` };
  }
  return { reason: `object path ${text} not supported` };
}

/** The key of `file:hashes.KEY`, however it is quoted. */
function hashKey(path: ObjectPath): string | undefined {
  const [first, second, ...rest] = path.steps;
  if (path.type !== 'file' || rest.length || !first || !('prop' in first)) return undefined;
  return first.prop === 'hashes' && second && 'prop' in second ? second.prop : undefined;
}

function isAddressType(declared: Declared): boolean {
  return declared === 'ipv4-addr' || declared === 'ipv6-addr' || declared === 'destination';
}

/**
 * The type hint for a literal. Where its form contradicts the declared type (an address under
 * domain-name, IPv4 under ipv6-addr, a SHA-256 under MD5) it is read by its form and the
 * reason is kept for the feed's adjusted count; a form that is no indicator at all keeps the
 * declared hint, so normalization refuses it with a precise reason.
 */
function typed(raw: string, declared: Declared): PatternValue {
  const form = formOf(raw);
  const address = form === 'ipv4' || form === 'ipv6';
  const label = form === 'ipv4' ? 'an IPv4 address' : 'an IPv6 address';
  switch (declared) {
    case 'ipv4-addr':
    case 'ipv6-addr': {
      const wanted = declared === 'ipv4-addr' ? 'ipv4' : 'ipv6';
      // A network is a cidr indicator: the family was checked here, so 'ip' lets it be one.
      if (form === wanted) return { raw, hint: raw.includes('/') ? 'ip' : wanted };
      if (address) return { raw, hint: 'ip', retyped: `${declared} value is ${label}` };
      return { raw, hint: wanted };
    }
    case 'domain-name':
      if (address) return { raw, hint: 'ip', retyped: `domain-name value is ${label}` };
      if (form === 'url') return { raw, hint: 'url', retyped: 'domain-name value is a URL' };
      return { raw, hint: 'domain' };
    case 'url':
      // "192.0.2.1/panel" is a URL on an address; only a bare address is retyped.
      if (address && !raw.includes('/')) return { raw, hint: 'ip', retyped: `url value is ${label}` };
      return { raw, hint: 'url' };
    case 'destination':
      return { raw, hint: address ? 'ip' : 'domain' };
    default: {
      const actual = /^[0-9a-fA-F]+$/.test(raw.trim()) ? HASH_BY_LENGTH[raw.trim().length] : undefined;
      if (actual && actual !== declared) {
        return { raw, hint: actual, retyped: `${declared} hash value is a ${actual}` };
      }
      return { raw, hint: declared };
    }
  }
}

function formOf(raw: string): 'ipv4' | 'ipv6' | 'url' | 'other' {
  const text = raw.trim();
  if (text.includes('://')) return 'url';
  const host = text.split('/', 1)[0] ?? '';
  const addr = parseAddress(host);
  if (addr) return addr.family === 4 ? 'ipv4' : 'ipv6';
  // 010.1.1.1 and 300.1.1.1 are IPv4-shaped: normalization refuses them as ambiguous.
  return /^\d+(\.\d+){3}$/.test(host) ? 'ipv4' : 'other';
}

/** `file:hashes.'SHA-256'`, `email-message:body_multipart[*].body_raw_ref.name` */
export function pathText(path: ObjectPath): string {
  const steps = path.steps.map((s, i) => {
    if ('index' in s) return `[${s.index}]`;
    const name = /^[A-Za-z_][A-Za-z0-9_]*$/.test(s.prop) ? s.prop : `'${s.prop}'`;
    return i === 0 ? name : `.${name}`;
  });
  return `${path.type}:${steps.join('')}`;
}

function union(parts: Extraction[]): Extraction {
  return {
    values: parts.flatMap((p) => p.values),
    unsupported: parts.flatMap((p) => p.unsupported),
  };
}

function unsupported(reason: string): Extraction {
  return { values: [], unsupported: [reason] };
}
