import { isIP } from 'node:net';
import { z } from 'zod';
import { FEED_FORMATS } from './feed-formats.js';
import { DEFAULT_DECAY } from '../indicators/score.js';
import { TYPE_HINTS } from '../indicators/types.js';
import { parseDuration, parseHostPort, parseSize } from './units.js';

/**
 * The config file's schema. Every object is strict, so an unknown or misspelt key is an error
 * at start-up naming the key; every key has its default here, documented beside it.
 */

const duration = (what: string) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `${what} must be a duration such as 30s, 15m, 1h or 1d` });
      return z.NEVER;
    }
    return ms;
  });

const size = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const bytes = parseSize(v);
  if (bytes === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be a size such as 512KB or 64MB' });
    return z.NEVER;
  }
  return bytes;
});

const hostPort = z.string().refine((v) => parseHostPort(v) !== undefined, {
  message: 'must be address:port, such as 127.0.0.1:5353 or [::1]:5353',
});

const addressPort = z.string().refine((v) => isIP(parseHostPort(v)?.host ?? '') !== 0, {
  message: 'must be an address and port, such as 9.9.9.9:53 or [2620:fe::fe]:53 (no host names)',
});

/** A resolver: address:port, or a DNS-over-HTTPS URL (https://…/dns-query). */
const upstreamSpec = z.string().refine((v) => isIP(parseHostPort(v)?.host ?? '') !== 0 || isHttpsUrl(v), {
  message: 'must be an address and port, such as 9.9.9.9:53 or [2620:fe::fe]:53, or an https:// DNS-over-HTTPS URL',
});

function isHttpsUrl(v: string): boolean {
  try {
    return new URL(v).protocol === 'https:';
  } catch {
    return false;
  }
}

const cidrText = z.string().refine(isCidr, { message: 'must be a CIDR such as 10.0.0.0/8 or ::1/128' });

/** Strict CIDR text: a valid address and a prefix length within its family's width. */
function isCidr(value: string): boolean {
  const [address, prefix, ...rest] = value.split('/');
  const family = isIP(address ?? '');
  if (rest.length || family === 0 || !/^\d{1,3}$/.test(prefix ?? '')) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

/**
 * Shortest feed interval: a remote feed polled in a tight loop would hammer its publisher.
 * A local file costs nobody else anything, so it may be re-read every second.
 */
const MIN_REMOTE_INTERVAL_MS = 10_000;
const MIN_LOCAL_INTERVAL_MS = 1_000;

const column = z.union([z.string().min(1), z.number().int().min(0)]);

const csvOptions = z
  .strictObject({
    column: column.default(0), // value column: header name or 0-based index
    delimiter: z.string().min(1).default(','),
    quote: z.string().length(1).default('"'),
    comment: z.string().min(1).default('#'),
    header: z.union([z.literal('auto'), z.boolean()]).default('auto'),
    type_column: column.optional(), // per-row type label (ThreatFox ioc_type)
    confidence_column: column.optional(),
    tag_columns: z.array(column).default([]),
    first_seen_column: column.optional(),
    end_column: column.optional(), // end address of a range starting in `column`
    prefix_column: column.optional(), // prefix length of a network starting in `column`
  })
  .prefault({});

const jsonOptions = z
  .strictObject({
    path: z
      .union([z.string(), z.array(z.string())])
      .default([])
      .transform((p) => (typeof p === 'string' ? (p === '' ? [] : [p]) : p)),
    field: z.string().optional(), // value field of object elements
    type_field: z.string().optional(),
    confidence_field: z.string().optional(),
    tag_fields: z.array(z.string()).default([]),
    first_seen_field: z.string().optional(),
  })
  .prefault({});

const stixOptions = z
  .strictObject({
    benign_as_allow: z.boolean().default(true), // indicator_types benign: an allow entry
  })
  .prefault({});

const mispOptions = z
  .strictObject({
    // feed: url is a MISP feed folder (manifest.json and one file per event);
    // document: one JSON document (an event, a list of events, or a restSearch answer);
    // auto: feed when the url ends in / or manifest.json.
    source: z.enum(['auto', 'feed', 'document']).default('auto'),
    to_ids_only: z.boolean().default(true), // attributes without to_ids are counted as skipped
    api_key_env: z.string().optional(), // environment variable holding a MISP server's API key
  })
  .prefault({});

const rpzOptions = z
  .strictObject({
    origin: z.string().optional(), // for relative names before any $ORIGIN; else the first SOA's owner
  })
  .prefault({});

const taxiiOptions = z.strictObject({
  collection: z.string().min(1), // collection id
  // url is an API root, or a discovery endpoint (ending /taxii2/): then this API root, or its default.
  api_root: z.string().optional(),
  username: z.string().optional(), // basic auth, with password_env
  password_env: z.string().optional(),
  token_env: z.string().optional(), // bearer auth
  page_size: z.number().int().min(1).max(10_000).default(1000),
});

const decayModel = z.strictObject({
  lifetime: duration('lifetime'), // after last seen; a source this old no longer counts
  speed: z.number().positive().max(100), // 1 linear, above 1 fast at first, below 1 slow at first
});

/** The score model's defaults (seconds there), in the milliseconds config durations use. */
const decayDefaults = Object.fromEntries(
  Object.entries(DEFAULT_DECAY).map(([type, m]) => [type, { lifetime: m.lifetime * 1000, speed: m.speed }]),
) as Record<keyof typeof DEFAULT_DECAY, { lifetime: number; speed: number }>;

export const feedSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1-64 letters, digits, _ . -'),
  url: z.string().min(1), // https URL, or a local path relative to the config file
  format: z.enum(FEED_FORMATS),
  type: z.enum(TYPE_HINTS as [string, ...string[]]).default('auto'),
  confidence: z.number().int().min(0).max(100).default(75),
  interval: duration('interval').default(3_600_000),
  enabled: z.boolean().default(true),
  action: z.enum(['block', 'monitor']).default('block'), // monitor: alone, never blocks (trial run)
  timeout: duration('timeout').optional(), // overrides sync.timeout
  max_bytes: size.optional(), // overrides sync.max_bytes
  headers: z.record(z.string(), z.string()).default({}), // extra request headers, such as auth
  csv: csvOptions,
  json: jsonOptions,
  stix: stixOptions,
  misp: mispOptions,
  rpz: rpzOptions,
  taxii: taxiiOptions.optional(),
}).superRefine((feed, ctx) => {
  if (feed.format === 'taxii' && !feed.taxii) {
    ctx.addIssue({ code: 'custom', path: ['taxii'], message: 'format taxii needs taxii: {collection: ID}' });
  }
  const remote = /^[a-z][a-z0-9+.-]*:\/\//i.test(feed.url);
  const floor = remote ? MIN_REMOTE_INTERVAL_MS : MIN_LOCAL_INTERVAL_MS;
  if (feed.interval < floor) {
    ctx.addIssue({ code: 'custom', path: ['interval'], message: `interval must be at least ${floor / 1000}s for a ${remote ? 'remote' : 'local'} feed` });
  }
});

const TOKEN_SCOPES = ['verdict', 'read', 'admin'] as const;
const TLP_LEVELS = ['clear', 'green', 'amber', 'amber+strict'] as const;

const EDL_FORMATS = ['plain', 'fortigate', 'ipset', 'nft', 'rpz', 'hosts', 'csv', 'stix'] as const;

/** A named list for firewalls (issue: integrations), served at /edl/{name} and by sluice export. */
const edlList = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1-64 letters, digits, _ . -'),
  types: z.array(z.enum(['ip', 'domain', 'url', 'hash'])).min(1).default(['ip']),
  format: z.enum(EDL_FORMATS).default('plain'),
  min_score: z.number().int().min(0).max(100).optional(), // default policy.block_at
  feeds: z.array(z.string()).default([]), // only entries these feeds list; empty: all
  tags: z.array(z.string()).default([]), // only entries with one of these tags; empty: all
  max_entries: z.number().int().min(0).default(0), // 0: no cap; a cut list logs a warning
  page_size: z.number().int().min(0).default(0), // 0: one page; else ?page=N
  // ipset and nft set name; at most 24 characters, since ipset's swap set adds "-v4-tmp".
  set_name: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,23}$/, 'must be 1-24 letters, digits, _').default('sluice'),
  zone: z.string().default('rpz.sluice.'), // RPZ origin
  auth: z
    .strictObject({
      username: z.string().optional(), // basic auth, with password_env
      password_env: z.string().optional(),
      token_env: z.string().optional(), // bearer
    })
    .optional(),
});

const forwardAuth = z
  .strictObject({
    check: z.array(z.enum(['client', 'host', 'url'])).default(['client', 'host', 'url']),
    // X-Forwarded-For and X-Real-IP are believed only from these addresses.
    trusted_proxies: z.array(z.string().refine((v) => isIP(v) !== 0 || isCidr(v), { message: 'must be an address or a CIDR such as 10.0.0.0/8' })).default(['127.0.0.1/32', '::1/128']),
  })
  .prefault({});

const events = z
  .strictObject({
    include: z.array(z.enum(['block', 'monitor'])).default(['block', 'monitor']),
    queue_size: z.number().int().min(1).default(10_000), // per sink; beyond it events are dropped and counted
    batch_size: z.number().int().min(1).default(100),
    flush_interval: z.string().default('1s'),
    file: z.strictObject({ path: z.string().min(1), max_bytes: z.union([z.string(), z.number()]).default('100MB'), keep: z.number().int().min(1).default(5) }).optional(),
    syslog: z
      .strictObject({
        host: z.string(),
        port: z.number().int().min(1).max(65535).default(514),
        protocol: z.enum(['udp', 'tcp', 'tls']).default('udp'),
        format: z.enum(['rfc5424', 'cef']).default('rfc5424'),
        app_name: z.string().default('sluice'),
        ca_file: z.string().optional(), // for tls
      })
      .optional(),
    webhook: z
      .strictObject({
        url: z.string(),
        headers: z.record(z.string(), z.string()).default({}),
        retries: z.number().int().min(0).max(10).default(3),
        timeout: z.string().default('5s'),
      })
      .optional(),
  })
  .prefault({});

const taxiiServer = z
  .strictObject({
    enabled: z.boolean().default(false),
    title: z.string().default('sluice'),
    // Which named lists (edl:) are shared as collections; empty: every list.
    collections: z.array(z.string()).default([]),
  })
  .prefault({});

const tokenSchema = z
  .strictObject({
    name: z.string().min(1),
    token: z.string().min(16, 'a token must be at least 16 characters').optional(),
    token_env: z.string().min(1).optional(), // read from this environment variable at start
    scopes: z.array(z.enum(TOKEN_SCOPES)).min(1).default(['read']),
    // The highest TLP this token may receive from the TAXII server; TLP:RED is never shared.
    tlp: z.enum(TLP_LEVELS).default('clear'),
  })
  .refine((t) => (t.token === undefined) !== (t.token_env === undefined), { message: 'give exactly one of token and token_env' });

const warninglistMode = z.enum(['allow', 'warn', 'off']);
const warninglistEntry = z.union([warninglistMode, z.strictObject({ path: z.string().min(1), mode: warninglistMode.default('allow') })], {
  error: 'a warninglist is a mode (allow, warn, off) or {path: FILE, mode: MODE}',
});

const allowEntry = z.union([z.strictObject({ path: z.string().min(1) }), z.strictObject({ value: z.string().min(1), reason: z.string().optional() })], {
  error: 'each allowlist entry is {path: FILE} or {value: VALUE, reason: TEXT}',
});

/**
 * Whether keys under `prefix` share one Cluster slot: Redis hashes only what lies between the
 * first "{" and the first "}" after it, and only when that is not empty.
 */
function hasHashTag(prefix: string): boolean {
  const open = prefix.indexOf('{');
  return open >= 0 && prefix.indexOf('}', open + 1) > open + 1;
}

export const configSchema = z.strictObject({
  data_dir: z.string().default('./data'),
  store: z.enum(['memory', 'redis']).default('memory'),
  redis: z
    .strictObject({
      url: z.string().default('redis://127.0.0.1:6379/0'),
      prefix: z.string().default('sluice:'),
      // The syncer lease: a standby syncer takes over at most this long after the leader stops.
      lease: duration('lease').refine((ms) => ms >= 1000, { message: 'lease must be at least 1s' }).default(10_000),
      password_env: z.string().optional(), // environment variable holding the Redis password
      tls: z.strictObject({ ca_file: z.string().optional() }).optional(), // rediss:// or this: TLS
      // Sentinel: the master's name and sentinel addresses (host:port); url then only gives the db.
      sentinel: z.strictObject({ name: z.string().min(1), nodes: z.array(z.string()).min(1) }).optional(),
      // Cluster: seed nodes (host:port); the prefix must hold a {hash tag} so one version's keys share a slot.
      cluster: z.strictObject({ nodes: z.array(z.string()).min(1) }).optional(),
      // How a --role gateway holds each version: full (everything in memory) or edge (Bloom
      // filters and networks in memory; a possible match is confirmed in Redis and cached).
      gateway: z
        .strictObject({
          memory: z.enum(['full', 'edge']).default('full'),
          cache_size: z.number().int().min(1).max(10_000_000).default(100_000),
          // Edge, Redis away, a Bloom positive not in the cache: allow (a 1% filter error rate
          // would otherwise block some clean names) or block (nothing listed gets through).
          unconfirmed: z.enum(['allow', 'block']).default('allow'),
        })
        .prefault({}),
    })
    .prefault({})
    .refine((r) => !r.cluster || hasHashTag(r.prefix), { message: 'with cluster, prefix must hold a {hash tag}, such as "{sluice}:"', path: ['prefix'] })
    .refine((r) => !(r.cluster && r.sentinel), { message: 'give sentinel or cluster, not both', path: ['cluster'] }),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
  policy: z
    .strictObject({
      block_at: z.number().int().min(0).max(100).default(70),
      monitor_at: z.number().int().min(0).max(100).default(40),
    })
    .prefault({})
    .refine((p) => p.monitor_at <= p.block_at, { message: 'must not exceed block_at', path: ['monitor_at'] }),
  scoring: z
    .strictObject({
      decay: z
        .strictObject(Object.fromEntries(Object.keys(decayDefaults).map((t) => [t, decayModel.optional()])))
        .prefault({})
        .transform((d) => ({ ...decayDefaults, ...Object.fromEntries(Object.entries(d).filter(([, v]) => v)) })),
      // Scores are recomputed at least this often, so ageing goes on while feeds are quiet.
      rescore_interval: duration('rescore_interval').default(3_600_000),
    })
    .prefault({}),
  dns: z
    .strictObject({
      listen: z.array(hostPort).default(['127.0.0.1:5353']),
      upstream: z.array(upstreamSpec).min(1).default(['9.9.9.9:53']),
      block_response: z.enum(['nxdomain', 'nodata', 'sinkhole', 'refused']).default('nxdomain'),
      sinkhole: z
        .strictObject({
          ipv4: z.ipv4().default('0.0.0.0'),
          ipv6: z.ipv6().default('::'),
        })
        .prefault({}),
      allow_clients: z.array(cidrText).default(['127.0.0.0/8', '::1/128']),
      // For block answers (sinkhole records, and the SOA that sets negative caching).
      block_ttl: duration('block_ttl')
        .refine((ms) => ms <= 86_400_000, { message: 'block_ttl must be at most 1d' })
        .transform((ms) => Math.floor(ms / 1000))
        .default(60),
      upstream_timeout: duration('upstream_timeout').default(2_000),
      // Upstream answers are checked too: a CNAME to a blocked name, a blocked address.
      inspect_answers: z.boolean().default(true),
      cache_size: z.number().int().min(0).default(10_000), // answers kept; 0 turns the cache off
      rate_limit: z
        .strictObject({
          qps: z.number().min(0).default(0), // per client, on average; 0 turns it off
          burst: z.number().int().min(1).default(100),
          action: z.enum(['refused', 'drop']).default('refused'),
        })
        .prefault({}),
      query_log: z
        .strictObject({
          path: z.string().min(1),
          max_bytes: size.default(100_000_000), // rotate at this size
          keep: z.number().int().min(1).max(100).default(5), // rotated files kept
        })
        .optional(),
      // Clients named in sluice_client_hits_total; the rest count as "other".
      client_metrics: z.number().int().min(0).max(1000).default(50),
      // DNS worker processes sharing the listeners; 1 answers in the main process.
      workers: z.number().int().min(1).max(64).default(1),
      // auto: UDP through the batched helper built at install, where there is one; node: Node's socket.
      udp_io: z.enum(['auto', 'node']).default('auto'),
    })
    .prefault({}),
  http: z
    .strictObject({
      listen: hostPort.default('127.0.0.1:8080'),
      tokens: z.array(tokenSchema).default([]),
      // open: verdict and EDL routes answer anyone who can connect; token: they need a token.
      verdict_auth: z.enum(['open', 'token']).default('open'),
    })
    .prefault({}),
  guards: z
    .strictObject({
      ipv4_min_prefix: z.number().int().min(0).max(32).default(8),
      ipv6_min_prefix: z.number().int().min(0).max(128).default(32),
      enforce_ranges: z.array(cidrText).default([]), // special-use ranges to enforce after all
      max_change: z.number().min(0).default(0.5), // share a feed may shrink or grow per update; 0: off
      change_min_entries: z.number().int().min(0).default(100), // smaller feeds are not change-guarded
    })
    .prefault({}),
  // Bundled list name, or a name of your own with a path: mode allow | warn | off.
  warninglists: z.record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1-64 letters, digits, _ . -'), warninglistEntry).default({}),
  sync: z
    .strictObject({
      timeout: duration('timeout').default(30_000), // per request
      max_bytes: size.default(64_000_000), // per feed body, after decompression
      retries: z.number().int().min(0).max(10).default(2),
      retry_backoff: duration('retry_backoff').default(1_000), // doubled on each retry
      max_invalid_share: z.number().min(0).max(1).default(0.5), // error budget per update
      user_agent: z.string().default('sluice/0.1'),
    })
    .prefault({}),
  feeds: z.array(feedSchema).default([]),
  allowlist: z.array(allowEntry).default([]),
  edl: z.array(edlList).default([]),
  forward_auth: forwardAuth,
  events,
  taxii_server: taxiiServer,
});

export type SluiceConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;
export type FeedConfig = z.output<typeof feedSchema>;
