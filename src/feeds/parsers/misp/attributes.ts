import type { TypeHint } from '../../../indicators/types.js';

/** One value an attribute stands for, with the hint that reads it and any tags it adds. */
export interface AttributeValue {
  raw: string;
  hint: TypeHint;
  tags?: string[];
}

type Reader = (value: string) => AttributeValue[];

const single =
  (hint: TypeHint): Reader =>
  (value) => [{ raw: value, hint }];

/**
 * The halves of `a|b`. Only the last `|` splits: a file name in `filename|sha256` is free
 * text, while the halves that follow (a hash, an address, a port) never hold one.
 */
function halves(value: string): [string, string] | undefined {
  const bar = value.lastIndexOf('|');
  if (bar <= 0 || bar === value.length - 1) return undefined;
  return [value.slice(0, bar), value.slice(bar + 1)];
}

/** A composite without its second half is still worth its first (which is the indicator). */
const withPort =
  (hint: TypeHint): Reader =>
  (value) => {
    const parts = halves(value);
    if (!parts) return [{ raw: value, hint }];
    const [host, portText] = parts;
    const port = Number(portText.trim());
    // Port 0 or garbage says nothing about where the traffic goes; the host still stands.
    const tags = Number.isInteger(port) && port > 0 && port <= 65535 ? [`port:${port}`] : undefined;
    return [{ raw: host, hint, ...(tags ? { tags } : {}) }];
  };

/** `filename|hash`: the name is not enforceable, and kept nowhere (it is not the value listed). */
const hashAfterName =
  (hint: TypeHint): Reader =>
  (value) => {
    const parts = halves(value);
    return [{ raw: parts ? parts[1] : value, hint }];
  };

const domainAndIp: Reader = (value) => {
  const parts = halves(value);
  if (!parts) return [{ raw: value, hint: 'auto' }];
  return [
    { raw: parts[0], hint: 'domain' },
    { raw: parts[1], hint: 'ip' },
  ];
};

/** A `uri` may be a bare path ("/gate.php"): only an absolute one names something to block. */
const absoluteUri: Reader = (value) => (/^[a-z][a-z0-9+.-]*:\/\//i.test(value.trim()) ? [{ raw: value, hint: 'url' }] : []);

/**
 * MISP attribute types sluice enforces. Every other type (email-src, filename, regkey, text,
 * ssdeep, sha512, link...) is counted as skipped with its type named, so an operator sees
 * what a feed carries that a DNS and IP gateway cannot act on. `link` is deliberately absent:
 * it is the report an event cites, not an indicator.
 */
const READERS: Record<string, Reader> = {
  'ip-src': single('ip'),
  'ip-dst': single('ip'),
  domain: single('domain'),
  hostname: single('domain'),
  url: single('url'),
  uri: absoluteUri,
  md5: single('md5'),
  sha1: single('sha1'),
  sha256: single('sha256'),
  'domain|ip': domainAndIp,
  'ip-src|port': withPort('ip'),
  'ip-dst|port': withPort('ip'),
  'hostname|port': withPort('domain'),
  'filename|md5': hashAfterName('md5'),
  'filename|sha1': hashAfterName('sha1'),
  'filename|sha256': hashAfterName('sha256'),
  // A malware sample's value is `filename|md5` (the sample itself is an attachment).
  'malware-sample': hashAfterName('md5'),
};

/**
 * The values an attribute of `type` stands for: undefined when sluice does not enforce the
 * type, an empty list when this value of an enforced type names nothing (a relative uri).
 */
export function attributeValues(type: string, value: string): AttributeValue[] | undefined {
  const reader = Object.hasOwn(READERS, type) ? READERS[type] : undefined;
  return reader?.(value);
}

/** MISP writes flags as booleans, and as "1"/"0" (or 1/0) in older exports and restSearch answers. */
export function isSet(flag: unknown): boolean {
  if (typeof flag === 'boolean') return flag;
  if (typeof flag === 'number') return flag === 1;
  if (typeof flag === 'string') return /^(1|true)$/i.test(flag.trim());
  return false;
}
