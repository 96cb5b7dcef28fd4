import { isIP } from 'node:net';
import type { HitEvent, HitVerdict } from '../types.js';
import { NO_LIMITS, syslogHeader, type FormatLimits, type Origin } from './rfc5424.js';
import { cap, hexEscape, printable } from './text.js';

const VENDOR = 'sluice';
const PRODUCT = 'sluice';
const DEVICE_VERSION = '0.1';
const NAME: Record<HitVerdict, string> = { block: 'Blocked indicator hit', monitor: 'Monitored indicator hit' };
/** CEF severity 0-10: a block stopped something; a monitor hit only saw it. */
const SEVERITY: Record<HitVerdict, number> = { block: 7, monitor: 5 };

/** Controls other than CR and LF, which CEF spells `\r` and `\n` in extension values. */
const CONTROL_BUT_NEWLINES = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

/** Header fields: `\` and `|` get a backslash; no newlines at all. */
export function escapeHeader(value: string): string {
  return printable(value).replace(/[\\|]/g, '\\$&');
}

/** Extension values: `\` and `=` get a backslash, CR and LF become `\r` and `\n`. */
export function escapeExtension(value: string): string {
  return value
    .replace(CONTROL_BUT_NEWLINES, hexEscape)
    .replace(/[\\=]/g, '\\$&')
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n');
}

/**
 * `CEF:0|sluice|sluice|0.1|<signature>|<name>|<severity>|<extensions>`. Standard keys where
 * one fits (rt, act, src or shost, dhost for a DNS name), custom string labels for the rest.
 */
export function formatCef(e: HitEvent, maxValue = Infinity): string {
  const ext: [string, string | undefined][] = [
    ['rt', String(Date.parse(e.time))],
    ['act', e.verdict],
    [e.client !== undefined && isIP(e.client) ? 'src' : 'shost', e.client],
    ['dhost', e.source === 'dns' ? e.value : undefined],
  ];
  // Custom fields carry their meaning in a label next to them, as CEF asks.
  const custom: [string, string, string | undefined][] = [
    ['cs1', 'indicator', e.indicator],
    ['cs2', 'feeds', e.feeds.join(',')],
    ['cs3', 'source', e.source],
    ['cs4', 'value', e.value],
    ['cs5', 'type', e.type],
    ['cn1', 'qtype', e.qtype === undefined ? undefined : String(e.qtype)],
  ];
  for (const [key, label, value] of custom) if (value !== undefined) ext.push([`${key}Label`, label], [key, value]);
  const extensions = ext
    .filter((kv): kv is [string, string] => kv[1] !== undefined)
    .map(([k, v]) => `${k}=${escapeExtension(cap(v, maxValue))}`)
    .join(' ');
  const header = ['CEF:0', VENDOR, PRODUCT, DEVICE_VERSION, `hit-${e.verdict}`, NAME[e.verdict], String(SEVERITY[e.verdict])].map((f, i) =>
    i === 0 ? f : escapeHeader(f),
  );
  return `${header.join('|')}|${extensions}`;
}

/** A CEF record as the MSG of an RFC 5424 message without structured data. */
export function formatCefSyslog(e: HitEvent, o: Origin, limits: FormatLimits = NO_LIMITS): string {
  return `${syslogHeader(e, o)} - ${formatCef(e, limits.maxValue)}`;
}
