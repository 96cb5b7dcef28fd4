import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../errors.js';
import { spanOf, type Span } from './ranges.js';

/** allow: listed values are never enforced; warn: enforced, and the verdict says so. */
export type WarninglistMode = 'allow' | 'warn';

/** One MISP warninglist, reduced to what matching needs. */
export interface Warninglist {
  name: string;
  mode: WarninglistMode;
  /** hostname: the name and names below it; string: the exact value; cidr: addresses and networks. */
  kind: 'hostname' | 'string' | 'cidr';
  names: string[];
  spans: Span[];
  /** Shipped with sluice rather than configured by the operator. */
  bundled: boolean;
}

/** Lists shipped in warninglists/, with the mode each has unless the config says otherwise. */
export const BUNDLED_WARNINGLISTS: Record<string, WarninglistMode> = {
  tranco10k: 'allow',
  majestic_million: 'allow',
  cisco_top1000: 'allow',
  'crl-hostname': 'allow',
  'captive-portals': 'allow',
  'url-shortener': 'allow',
  'common-ioc-false-positive': 'allow',
  'empty-hashes': 'allow',
  'public-dns-v4': 'allow',
  'public-dns-v6': 'allow',
  sinkholes: 'warn',
  'security-provider-blogpost': 'warn',
  'whats-my-ip': 'warn',
  'amazon-aws': 'warn',
  'google-gcp': 'warn',
  cloudflare: 'warn',
  rfc6761: 'warn',
};

const BUNDLED_DIR = fileURLToPath(new URL('../../warninglists/', import.meta.url));

export function bundledPath(name: string): string {
  return `${BUNDLED_DIR}${name}.json`;
}

/**
 * Reads a warninglist in MISP's list.json layout. Types substring and regex are refused: they
 * cannot be checked per value in the time a large feed update allows.
 */
export function readWarninglist(path: string, name: string, mode: WarninglistMode, bundled = false): Warninglist {
  let doc: { type?: unknown; list?: unknown };
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(path, `warninglist ${name}: cannot read it: ${(err as Error).message}`);
  }
  const kind = doc.type;
  if (kind !== 'hostname' && kind !== 'string' && kind !== 'cidr') {
    throw new ConfigError(path, `warninglist ${name}: type ${String(kind)} is not supported (hostname, string or cidr)`);
  }
  if (!Array.isArray(doc.list)) throw new ConfigError(path, `warninglist ${name}: no "list" array`);
  const list: Warninglist = { name, mode, kind, names: [], spans: [], bundled };
  for (const raw of doc.list) {
    if (typeof raw !== 'string') continue;
    const value = raw.trim().toLowerCase().replace(/^\./, '').replace(/\.$/, '');
    if (value === '') continue;
    if (kind === 'cidr') {
      const span = spanOf(value);
      if (span) list.spans.push(span);
    } else {
      list.names.push(value);
    }
  }
  return list;
}
