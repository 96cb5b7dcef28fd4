import { domainToASCII } from 'node:url';
import { getPublicSuffix } from 'tldts';
import { BadValueError } from '../../errors.js';

/** RFC 1035: 255 octets on the wire, which is 253 characters of text without the final dot. */
const MAX_NAME_CHARS = 253;
const MAX_LABEL_CHARS = 63;
// Underscores appear in real DNS names (_dmarc, service records, some malware hosts); the
// gateway must be able to match whatever a resolver can be asked, so they are accepted.
const LABEL = /^[a-z0-9_-]+$/;
const ALL_DIGITS = /^\d+$/;

export interface DomainOptions {
  /**
   * A name being looked up rather than listed: a public suffix alone is a fine question
   * (it simply matches nothing), and one leading dot is tolerated.
   */
  query?: boolean;
}

/**
 * Canonical form of a domain name: IDNA (UTS-46) to punycode, which also lower-cases, no
 * trailing dot. Throws BadValueError naming the fault: an empty or overlong label, an all-digit
 * top label, a character no host name has, or, for listed names, a public suffix alone.
 */
export function normalizeDomain(input: string, options: DomainOptions = {}): string {
  let name = input.trim();
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (options.query && name.startsWith('.')) name = name.slice(1);
  if (name === '') throw new BadValueError(input, 'empty name');

  name = toAscii(input, name);
  const labels = name.split('.');
  for (const label of labels) checkLabel(input, label);
  if (name.length > MAX_NAME_CHARS) {
    throw new BadValueError(input, `name longer than ${MAX_NAME_CHARS} characters`);
  }
  if (ALL_DIGITS.test(labels[labels.length - 1]!)) {
    throw new BadValueError(input, 'top-level label is all digits');
  }
  if (!options.query && isPublicSuffix(name)) {
    throw new BadValueError(input, 'public suffix alone is not enforceable');
  }
  return name;
}

function toAscii(input: string, name: string): string {
  // Pure ASCII needs no IDNA pass, only lower-casing, which keeps the common case cheap;
  // punycode labels (xn--) still go through it, so a broken one is caught.
  if (/^[\x21-\x7e]+$/.test(name) && !/(^|\.)xn--/i.test(name)) return name.toLowerCase();
  const ascii = domainToASCII(name);
  if (ascii === '') throw new BadValueError(input, 'not a valid internationalised name');
  return ascii;
}

function checkLabel(input: string, label: string): void {
  if (label === '') throw new BadValueError(input, 'empty label');
  if (label.length > MAX_LABEL_CHARS) {
    throw new BadValueError(input, `label longer than ${MAX_LABEL_CHARS} characters`);
  }
  if (!LABEL.test(label)) throw new BadValueError(input, `invalid character in label "${label}"`);
}

/**
 * True when the name is itself a public suffix, private-section ones included (github.io),
 * or a single label, which the list's default rule makes a suffix.
 */
export function isPublicSuffix(name: string): boolean {
  if (!name.includes('.')) return true;
  return getPublicSuffix(name, { allowPrivateDomains: true }) === name;
}
