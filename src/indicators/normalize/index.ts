import { BadValueError } from '../../errors.js';
import type { Canonical, IndicatorType, TypeHint } from '../types.js';
import { normalizeDomain } from './domain.js';
import { normalizeHash } from './hash.js';
import { addressCanonical, normalizeCidr, parseAddressOrThrow, rangeToCidrs } from './ip.js';
import { refang } from './refang.js';
import { normalizeUrl } from './url.js';

export { normalizeDomain, isPublicSuffix } from './domain.js';
export { normalizeUrl, type CanonicalUrl } from './url.js';
export { parseAddress, type ParsedAddress } from './ip.js';
export { refang } from './refang.js';

/** One raw value turned canonical. A range can yield several values; a port becomes a tag. */
export interface Normalized {
  values: Canonical[];
  tags?: string[];
  /** Why the canonical value differs from the text beyond case (refanged, retyped, path dropped). */
  notes?: string[];
}

const HASH_LIKE = /^[0-9a-fA-F]{32}$|^[0-9a-fA-F]{40}$|^[0-9a-fA-F]{64}$/;
const V4_SHAPE = /^\d{1,4}(?:\.\d{1,4}){3}(?::\d+)?$/;
const V6_SHAPE = /^[0-9a-fA-F:.]+$/;
const V4_PORT = /^(\d+\.\d+\.\d+\.\d+):(\d{1,5})$/;
const V6_PORT = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/;
const PREFIX = /^\d{1,3}$/;

/**
 * Canonical form of one feed value under the feed's type hint. Throws BadValueError with a
 * short reason when the value cannot be an indicator of that type.
 */
export function normalizeValue(raw: string, hint: TypeHint = 'auto'): Normalized {
  const trimmed = raw.trim();
  if (trimmed === '') throw new BadValueError(raw, 'empty value');
  const text = refang(trimmed);
  const out = normalizeByHint(raw, text, hint);
  // A fixed note: feed reports count adjustments by note, and the raw text is kept beside it.
  if (text !== trimmed) (out.notes ??= []).push('refanged');
  return out;
}

function normalizeByHint(raw: string, text: string, hint: TypeHint): Normalized {
  switch (hint) {
    case 'auto':
      return detect(raw, text);
    case 'ip':
    case 'ipv4':
    case 'ipv6':
    case 'cidr':
      return checkFamily(raw, normalizeIpLike(raw, text), hint);
    case 'domain':
      return domainOrRetyped(raw, text);
    case 'url': {
      if (!text.includes('/') && looksLikeIp(text)) return normalizeIpLike(raw, text);
      return { values: [{ type: 'url', value: normalizeUrl(text).url }] };
    }
    case 'hash':
    case 'md5':
    case 'sha1':
    case 'sha256':
      return { values: [normalizeHash(raw, text, hint)] };
  }
}

function detect(raw: string, text: string): Normalized {
  if (text.includes('://')) return { values: [{ type: 'url', value: normalizeUrl(text).url }] };
  if (HASH_LIKE.test(text)) return { values: [normalizeHash(raw, text, 'hash')] };
  if (looksLikeIp(text)) return normalizeIpLike(raw, text);
  if (text.includes('/')) return { values: [{ type: 'url', value: normalizeUrl(text).url }] };
  const name = stripWildcard(text);
  // "*.192.0.2.1" (wildcard lists prefix every entry): as with a domain hint, the address is what
  // was listed; reading it as a name would refuse it for its all-digit top label.
  if (name !== text && looksLikeIp(name)) {
    const ip = normalizeIpLike(raw, name);
    return { ...ip, notes: [...(ip.notes ?? []), 'wildcard on an address dropped'] };
  }
  return domainResult(text, name);
}

/** A domain, noting when a wildcard or leading dot was read as the domain itself. */
function domainResult(text: string, name: string): Normalized {
  const out: Normalized = { values: [{ type: 'domain', value: normalizeDomain(name) }] };
  if (name !== text) out.notes = ['wildcard prefix read as the domain and its subtree'];
  return out;
}

/** 1.2.3.4, 010.1.1.1, 1.2.3.4:80, [2001:db8::1]:443, 2001:db8::/32, a-b; not 0-day.example.com */
function looksLikeIp(text: string): boolean {
  if (V6_PORT.test(text)) return true;
  const head = text.split(/[/-]/, 1)[0] ?? '';
  if (V4_SHAPE.test(head)) return true;
  return V6_SHAPE.test(head) && head.split(':').length > 2;
}

function domainOrRetyped(raw: string, text: string): Normalized {
  const name = stripWildcard(text);
  if (looksLikeIp(name)) {
    const ip = normalizeIpLike(raw, name);
    return { ...ip, notes: [...(ip.notes ?? []), 'address in a domain feed, kept as an address'] };
  }
  if (name.includes('/')) throw new BadValueError(raw, 'URL or path in a domain feed');
  return domainResult(text, name);
}

/** `*.example.com` and `.example.com` mean the name and everything below it, as every domain does. */
function stripWildcard(text: string): string {
  if (text.startsWith('*.')) return text.slice(2);
  if (text.startsWith('.') && text.length > 1) return text.slice(1);
  return text;
}

/**
 * Addresses in their many feed spellings: plain, `addr:port`, `[v6]:port`, `addr/prefix`,
 * `start-end` ranges, and `addr/path...` where the part after the slash is not a prefix length.
 */
function normalizeIpLike(raw: string, text: string): Normalized {
  const dash = text.indexOf('-');
  if (dash > 0) {
    const values = rangeToCidrs(raw, text.slice(0, dash), text.slice(dash + 1));
    const single = values.length === 1 && values[0]!.type !== 'cidr' && values[0]!.value === text.slice(0, dash);
    return single ? { values } : { values, notes: ['address range written as networks'] };
  }

  const v6 = V6_PORT.exec(text);
  if (v6) return withPort(addressCanonical(parseAddressOrThrow(raw, v6[1]!)), v6[2]);
  const v4 = V4_PORT.exec(text);
  if (v4) return withPort(addressCanonical(parseAddressOrThrow(raw, v4[1]!)), v4[2]);

  const slash = text.indexOf('/');
  if (slash < 0) return { values: [addressCanonical(parseAddressOrThrow(raw, text))] };
  const after = text.slice(slash + 1);
  if (PREFIX.test(after)) {
    const { value, cleared } = normalizeCidr(raw, text);
    return { values: [value], ...(cleared ? { notes: ['host bits cleared'] } : {}) };
  }
  // "198.51.100.23/1/panel/login.php": the "1" is a path segment, not a prefix length.
  const addr = addressCanonical(parseAddressOrThrow(raw, text.slice(0, slash)));
  return { values: [addr], notes: ['path after the address dropped'] };
}

function withPort(value: Canonical, port: string | undefined): Normalized {
  if (port === undefined || Number(port) === 0) return { values: [value] };
  if (Number(port) > 65535) throw new BadValueError(value.value, 'port over 65535');
  return { values: [value], tags: [`port:${Number(port)}`] };
}

function checkFamily(raw: string, out: Normalized, hint: TypeHint): Normalized {
  const wanted: IndicatorType | undefined =
    hint === 'ipv4' ? 'ipv4' : hint === 'ipv6' ? 'ipv6' : undefined;
  if (!wanted) return out;
  for (const v of out.values) {
    const family = v.type === 'cidr' ? (v.value.includes(':') ? 'ipv6' : 'ipv4') : v.type;
    if (family !== wanted) throw new BadValueError(raw, `not an ${wanted} address`);
  }
  return out;
}
