import type { TypeHint } from '../../indicators/types.js';

/**
 * Reading the per-value columns and fields that CSV and JSON feeds carry beside the value:
 * a type label, a confidence, tags and a first-seen time, each in the spellings producers use.
 */

const TYPE_LABELS: Array<[RegExp, TypeHint]> = [
  [/^(ip|ipv4|ipv6|ip[-_]?(src|dst)|ip:port|ip[-_]port|address|addr)$/i, 'ip'],
  [/^(cidr|netblock|network|ip[-_]?range|range)$/i, 'cidr'],
  [/^(domain|domain[-_]?name|hostname|host|fqdn|dns)$/i, 'domain'],
  [/^(url|uri|link)$/i, 'url'],
  [/^md5([-_]hash)?$/i, 'md5'],
  [/^sha-?1([-_]hash)?$/i, 'sha1'],
  [/^sha-?256([-_]hash)?$/i, 'sha256'],
];

/** The type hint a producer's type label stands for; undefined for labels we do not know. */
export function hintFromLabel(label: string | undefined): TypeHint | undefined {
  if (!label) return undefined;
  const trimmed = label.trim();
  for (const [pattern, hint] of TYPE_LABELS) if (pattern.test(trimmed)) return hint;
  return undefined;
}

/** A confidence of 0-100; a 0-1 fraction is scaled. Undefined when absent or not a number. */
export function readConfidence(raw: unknown): number | undefined {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : NaN;
  if (!Number.isFinite(n) || n < 0) return undefined;
  const scaled = n > 0 && n < 1 ? n * 100 : n;
  return Math.min(100, Math.round(scaled));
}

/**
 * Epoch seconds from the time forms feeds use: epoch seconds or milliseconds, ISO 8601, and
 * `YYYY-MM-DD HH:MM:SS[ UTC]` (abuse.ch), which is read as UTC.
 */
export function readTimestamp(raw: unknown): number | undefined {
  if (typeof raw === 'number' && Number.isFinite(raw) && raw > 0) {
    return Math.floor(raw > 1e11 ? raw / 1000 : raw);
  }
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  const text = raw.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return readTimestamp(Number(text));
  const iso = text.replace(/^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d(:\d\d(\.\d+)?)?)( ?UTC)?$/, '$1T$2Z');
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

/** Tags from a field that may be a list, a comma-separated string, or the word None. */
export function readTags(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.flatMap(readTags);
  if (typeof raw !== 'string' && typeof raw !== 'number') return [];
  return String(raw)
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '' && t.toLowerCase() !== 'none' && t.toLowerCase() !== 'null');
}
