import type { HitEvent } from '../types.js';

/** C0 controls, DEL and C1 controls. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Control characters as `\xNN`. A DNS question name may hold any byte, so a hit on a listed
 * parent can carry a newline or an escape sequence chosen by whoever asked; written raw, that
 * forges log lines or terminal output on the SIEM side.
 */
export function printable(s: string): string {
  return s.replace(CONTROL, hexEscape);
}

export function hexEscape(c: string): string {
  return `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
}

/** At most `max` characters, marked with `...` when cut. */
export function cap(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 3))}...`;
}

/** One short line for people reading the syslog message. */
export function summary(e: HitEvent): string {
  const what = e.verdict === 'block' ? 'blocked' : 'monitored';
  const from = e.client ? ` from ${e.client}` : '';
  return `${what} ${e.value} (${e.source}${from}): indicator ${e.indicator}, feeds ${e.feeds.join(',') || '-'}`;
}
