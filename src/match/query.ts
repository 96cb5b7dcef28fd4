import { BadRequestError, BadValueError } from '../errors.js';
import { normalizeHash } from '../indicators/normalize/hash.js';
import {
  normalizeDomain,
  normalizeUrl,
  parseAddress,
  type CanonicalUrl,
  type ParsedAddress,
  refang,
} from '../indicators/normalize/index.js';
import { looksLikeIPv4 } from '../indicators/address.js';

/** What a verdict request may name: any value, or one of a given kind. */
export type QueryKind = 'value' | 'ip' | 'domain' | 'url' | 'hash';

/** A value asked about, in the canonical form lookups take. */
export type Query =
  | { type: 'ipv4' | 'ipv6'; input: string; address: ParsedAddress }
  | { type: 'domain'; input: string; name: string }
  | { type: 'url'; input: string; url: CanonicalUrl; hostAddress: ParsedAddress | undefined }
  | { type: 'md5' | 'sha1' | 'sha256'; input: string; hex: string };

const NETWORK = /^[0-9a-fA-F:.]+\/\d{1,3}$/;
const HASH_LIKE = /^[0-9a-fA-F]{32}$|^[0-9a-fA-F]{40}$|^[0-9a-fA-F]{64}$/;

/**
 * Reads a value a client asks about. Lookups are lenient where clients legitimately differ
 * (a trailing or leading dot, upper case, Unicode names, browser spellings of IPv4 hosts in
 * URLs) and strict where a guess could be wrong: `ip=` takes only dotted-quad or IPv6 text.
 * Throws BadRequestError naming `param`.
 */
export function parseQuery(raw: string, kind: QueryKind, param: string = kind): Query {
  const input = raw.trim();
  if (input === '') throw new BadRequestError(param, 'empty value');
  // Analysts paste indicators as they share them: hxxp://bad[.]example[.]com.
  const text = refang(input);
  try {
    return { ...parseAs(text, kind === 'value' ? detectKind(text) : kind), input };
  } catch (err) {
    if (err instanceof BadValueError) throw new BadRequestError(param, err.message);
    throw err;
  }
}

function detectKind(input: string): Exclude<QueryKind, 'value'> {
  if (input.includes('://')) return 'url';
  if (parseAddress(input) || looksLikeIPv4(input)) return 'ip';
  if (NETWORK.test(input)) throw new BadValueError(input, 'a network is not a value to look up; ask about an address');
  if (HASH_LIKE.test(input)) return 'hash';
  if (input.includes('/')) return 'url';
  return 'domain';
}

function parseAs(input: string, kind: Exclude<QueryKind, 'value'>): Query {
  switch (kind) {
    case 'ip': {
      const address = parseAddress(input);
      if (!address && looksLikeIPv4(input)) {
        throw new BadValueError(input, 'ambiguous IPv4 text (leading zero or octet over 255)');
      }
      if (!address) throw new BadValueError(input, 'not a dotted-quad IPv4 or an IPv6 address');
      return { type: address.family === 4 ? 'ipv4' : 'ipv6', input, address };
    }
    case 'domain':
      return { type: 'domain', input, name: normalizeDomain(input, { query: true }) };
    case 'url': {
      const url = normalizeUrl(input, { query: true });
      return { type: 'url', input, url, hostAddress: parseAddress(url.host) };
    }
    case 'hash': {
      const canonical = normalizeHash(input, input, 'hash');
      return { type: canonical.type as 'md5' | 'sha1' | 'sha256', input, hex: canonical.value };
    }
  }
}

