import { hostname } from 'node:os';
import type { HitEvent, HitVerdict } from '../types.js';
import { cap, printable, summary } from './text.js';

/** 32473 is the private enterprise number RFC 5612 sets aside for examples and documentation. */
export const SD_ID = 'sluice@32473';
const FACILITY_LOCAL0 = 16;
const SEVERITY: Record<HitVerdict, number> = { block: 4, monitor: 5 }; // warning, notice
export const MSGID = 'hit';

/** The header fields that are the same for every message from this process. */
export interface Origin {
  hostname: string;
  appName: string;
  procId: string;
}

export function priority(verdict: HitVerdict): number {
  return FACILITY_LOCAL0 * 8 + SEVERITY[verdict];
}

/** Header fields as RFC 5424 allows them: printable US-ASCII without spaces, bounded, `-` when empty. */
export function origin(appName: string, host = hostname(), pid = process.pid): Origin {
  return { hostname: headerToken(host, 255), appName: headerToken(appName, 48), procId: headerToken(String(pid), 128) };
}

function headerToken(s: string, max: number): string {
  const clean = s.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return clean === '' ? '-' : clean;
}

/** PARAM-VALUE escaping (RFC 5424 6.3.3): `"`, `\` and `]` get a backslash. */
export function escapeParam(value: string): string {
  return printable(value).replace(/["\\\]]/g, '\\$&');
}

export interface FormatLimits {
  /** Longest value of a structured-data parameter before it is cut (`...`). */
  maxValue: number;
  /** Whether the human-readable MSG is written; it goes first when a datagram is too long. */
  msg: boolean;
}

export const NO_LIMITS: FormatLimits = { maxValue: Infinity, msg: true };

/** `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG` with the hit in structured data. */
export function formatRfc5424(e: HitEvent, o: Origin, limits: FormatLimits = NO_LIMITS): string {
  const params: [string, string | undefined][] = [
    ['verdict', e.verdict],
    ['source', e.source],
    ['value', e.value],
    ['indicator', e.indicator],
    ['client', e.client],
    ['feeds', e.feeds.join(',')],
    ['qtype', e.qtype === undefined ? undefined : String(e.qtype)],
    ['type', e.type],
  ];
  let sd = `[${SD_ID}`;
  for (const [name, value] of params) {
    if (value !== undefined) sd += ` ${name}="${escapeParam(cap(value, limits.maxValue))}"`;
  }
  sd += ']';
  const msg = limits.msg ? ` ${printable(summary(e))}` : '';
  return `${syslogHeader(e, o)} ${sd}${msg}`;
}

/** Everything before the structured data. */
export function syslogHeader(e: HitEvent, o: Origin): string {
  return `<${priority(e.verdict)}>1 ${e.time} ${o.hostname} ${o.appName} ${o.procId} ${MSGID}`;
}
