import { isIP } from 'node:net';
import { parse as parseName } from 'tldts';

/** A value found in a log that can be looked up: an address, a name, a URL or a hash. */
export interface Candidate {
  kind: 'ip' | 'domain' | 'url' | 'hash';
  value: string;
  /** Where in the record: a field name, or `text` for free text. */
  field: string;
}

const HEX = /^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$/i;
const NAME = /^(?=.{4,253}$)(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/i;

/**
 * What a single field value is, judged strictly: a log is full of strings that only look like
 * names (file.php, version 1.2.3), so a name counts only when its suffix is a real ICANN one.
 */
export function classify(raw: string, field: string): Candidate | undefined {
  const value = raw.trim().replace(/\.$/, '');
  if (value.length < 3 || value.length > 2048) return undefined;
  if (/^https?:\/\//i.test(value)) return { kind: 'url', value, field };
  const bare = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  if (isIP(bare)) return { kind: 'ip', value: bare, field };
  if (HEX.test(value)) return { kind: 'hash', value: value.toLowerCase(), field };
  if (NAME.test(value)) {
    const info = parseName(value);
    if (info.isIcann && info.domain) return { kind: 'domain', value: value.toLowerCase(), field };
  }
  return undefined;
}

const TOKEN = /https?:\/\/[^\s"'<>()]+|\[?[0-9a-f:]*:[0-9a-f:.]+\]?|(?:\d{1,3}\.){3}\d{1,3}|[0-9a-f]{32,64}|(?:[a-z0-9_-]+\.)+[a-z][a-z0-9-]+/gi;

/** Every candidate in free text (plain logs, access log lines, odd fields). */
export function extractFromText(text: string, field = 'text'): Candidate[] {
  const out: Candidate[] = [];
  for (const m of text.matchAll(TOKEN)) {
    const c = classify(m[0].replace(/[.,;:]+$/, ''), field);
    if (c) out.push(c);
  }
  return out;
}
