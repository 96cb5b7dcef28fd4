import { BadValueError } from '../../errors.js';
import { looksLikeIPv4, isStrictIPv4 } from '../address.js';
import { normalizeDomain } from './domain.js';

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//;
const OPAQUE_SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):(?!\d)/;
const WEB_SCHEMES = new Set(['http:', 'https:', 'ftp:', 'ws:', 'wss:']);

export interface UrlOptions {
  /**
   * A URL being looked up: its host is read the way browsers read it (WHATWG), so integer,
   * hex and octal IPv4 spellings land on the address they reach. Listed URLs are read strictly.
   */
  query?: boolean;
}

/** A canonical URL and the parts the matcher needs. */
export interface CanonicalUrl {
  /** scheme://host[:port]/path[?query], fragment and credentials dropped. */
  url: string;
  /** The match key: the URL without its scheme, so http and https listings both apply. */
  key: string;
  /** Host without brackets or trailing dot: a domain name or an address. */
  host: string;
}

/**
 * Canonical URL per DESIGN.md: lowercase scheme and host, default port and fragment dropped,
 * dot segments resolved (all by the WHATWG parser), IDN host to punycode, no trailing dot on
 * the host. A value without a scheme is read as http. Throws BadValueError when not a URL.
 */
export function normalizeUrl(input: string, options: UrlOptions = {}): CanonicalUrl {
  let text = input.trim();
  const scheme = SCHEME.exec(text);
  // "mailto:x@example.com" has a scheme without "//"; it is not a host to read as http.
  // "host:8080/path" is a host and port, so a colon before a digit is not a scheme.
  const opaque = OPAQUE_SCHEME.exec(text);
  if (!scheme && opaque) throw new BadValueError(input, `unsupported URL scheme ${opaque[1]!.toLowerCase()}:`);
  if (!scheme) text = `http://${text}`;
  if (!options.query) checkListedHost(input, text);

  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new BadValueError(input, 'not a valid URL');
  }
  if (!WEB_SCHEMES.has(parsed.protocol)) {
    throw new BadValueError(input, `unsupported URL scheme ${parsed.protocol}`);
  }
  const host = canonicalHost(input, parsed.hostname);
  const port = parsed.port === '' ? '' : `:${parsed.port}`;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const rest = `${shownHost}${port}${parsed.pathname}${parsed.search}`;
  return { url: `${parsed.protocol}//${rest}`, key: rest, host };
}

function canonicalHost(input: string, hostname: string): string {
  let host = hostname;
  if (host.startsWith('[')) return host.slice(1, -1);
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host === '') throw new BadValueError(input, 'URL has no host');
  if (isStrictIPv4(host)) return host;
  return normalizeDomain(host, { query: true });
}

/**
 * A listed URL whose host is a non-canonical IPv4 spelling (010.1.1.1, 0x7f.1, 3221225985)
 * would be silently re-read by the WHATWG parser; refuse it so the feed's intent is not guessed.
 */
function checkListedHost(input: string, text: string): void {
  const afterScheme = text.slice(text.indexOf('//') + 2);
  const authority = afterScheme.split(/[/?#]/, 1)[0] ?? '';
  // "/ligolo-ng.yaml" (a path trail) and "http:///x" name no host; WHATWG would take the first
  // path segment as one, and enforce a host the feed never listed.
  if (authority === '') throw new BadValueError(input, 'URL has no host');
  const host = authority.slice(authority.lastIndexOf('@') + 1).replace(/:\d*$/, '');
  if (host.startsWith('[')) return;
  const bare = host.endsWith('.') ? host.slice(0, -1) : host;
  if (looksLikeIPv4(bare) && !isStrictIPv4(bare)) {
    throw new BadValueError(input, 'ambiguous IPv4 host (leading zero or octet over 255)');
  }
  // Up to four parts: 0xc0.0.2.1 is a dotted quad with a hex octet, re-read just the same.
  if (/^(0x[0-9a-f]+|\d+)(\.(0x[0-9a-f]+|\d+)){0,3}$/i.test(bare) && !isStrictIPv4(bare)) {
    throw new BadValueError(input, 'IPv4 host in a non-dotted-quad form');
  }
}
