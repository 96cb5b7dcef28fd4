import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { BUNDLED_WARNINGLISTS } from '../guards/warninglists.js';
import { ConfigError } from '../errors.js';
import { configSchema, type FeedConfig, type ParsedConfig } from './schema.js';

/** A validated config with defaults filled in and every relative path made absolute. */
export interface Config extends ParsedConfig {
  /** The file it was read from. */
  file: string;
}

export type { FeedConfig };

/**
 * Reads, validates and resolves a config file. Throws ConfigError naming the file, the line
 * and the key at fault, for the first problems found (all of them, up to a handful).
 */
export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, `cannot read config: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  return parseConfig(text, file, { checkFiles: true });
}

/**
 * Validates config text; `file` names it in errors and anchors relative paths. With
 * `checkFiles`, files the config must find at start (allowlists) are checked too.
 */
export function parseConfig(text: string, file: string, options: { checkFiles?: boolean } = {}): Config {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const { line } = lines.linePos(e.pos[0]);
    throw new ConfigError(`${file}:${line}`, `YAML syntax: ${e.message.split('\n')[0]}`);
  }
  const raw = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(file, 'config must be a YAML mapping of keys');
  }

  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(file, describeIssues(result.error.issues, doc, lines));
  // Before paths are resolved: resolving turns "ftp://host/x" into a local path that passes.
  checkFeeds(result.data, file, (path) => lineOf(doc, lines, path));
  checkWarninglists(result.data, file, (path) => lineOf(doc, lines, path));
  checkListNames(result.data, file, (path) => lineOf(doc, lines, path));
  checkEdge(result.data, file, (path) => lineOf(doc, lines, path));
  const config = resolvePaths(result.data, file);
  if (options.checkFiles) {
    checkAllowlists(config, file, (path) => lineOf(doc, lines, path));
    for (const [name, entry] of Object.entries(config.warninglists)) {
      if (typeof entry === 'string' || existsSync(entry.path)) continue;
      const line = lineOf(doc, lines, ['warninglists', name, 'path']);
      throw new ConfigError(file, `invalid config: ${line ? `line ${line}: ` : ''}warninglists.${name}.path: no file ${entry.path}`);
    }
  }
  return config;
}

/**
 * An allowlist file that does not exist is a typo, and a typo here turns allow entries into
 * blocks: refuse it at start. (A file that goes missing later keeps its last content.)
 */
function checkAllowlists(config: Config, file: string, lineAt: LineAt): void {
  config.allowlist.forEach((entry, i) => {
    if (!('path' in entry) || existsSync(entry.path)) return;
    const line = lineAt(['allowlist', String(i), 'path']);
    throw new ConfigError(file, `invalid config: ${line ? `line ${line}: ` : ''}allowlist[${i}].path: no file ${entry.path}`);
  });
}

/** An edge gateway confirms matches over its own Redis connection: one DNS process, not a pool. */
function checkEdge(config: ParsedConfig, file: string, lineAt: LineAt): void {
  if (config.redis.gateway.memory !== 'edge') return;
  if (config.store !== 'redis') {
    const line = lineAt(['redis', 'gateway', 'memory']);
    throw new ConfigError(file, `invalid config: ${line ? `line ${line}: ` : ''}redis.gateway.memory: edge needs store: redis (edge gateways confirm matches there)`);
  }
}

/** Named lists are unique, and the TAXII server shares only lists that exist. */
function checkListNames(config: ParsedConfig, file: string, lineAt: LineAt): void {
  const names = new Set<string>();
  config.edl.forEach((l, i) => {
    if (/^(ip|domain|url|hash)\.txt$/.test(l.name)) {
      const line = lineAt(['edl', String(i), 'name']);
      throw new ConfigError(file, `invalid config: ${line ? `line ${line}: ` : ''}edl[${i}].name: ${l.name} is a built-in list`);
    }
    if (names.has(l.name)) {
      const line = lineAt(['edl', String(i), 'name']);
      throw new ConfigError(file, `invalid config: ${line ? `line ${line}: ` : ''}edl[${i}].name: duplicate list name ${l.name}`);
    }
    names.add(l.name);
  });
  config.taxii_server.collections.forEach((c, i) => {
    if (names.has(c)) return;
    const line = lineAt(['taxii_server', 'collections', String(i)]);
    throw new ConfigError(file, `invalid config: ${line ? `line ${line}: ` : ''}taxii_server.collections[${i}]: no list named ${c} under edl`);
  });
}

/** A bare mode names a bundled list; a list of one's own needs a path. */
function checkWarninglists(config: ParsedConfig, file: string, lineAt: LineAt): void {
  for (const [name, entry] of Object.entries(config.warninglists)) {
    if (typeof entry !== 'string' || name in BUNDLED_WARNINGLISTS) continue;
    const line = lineAt(['warninglists', name]);
    const known = Object.keys(BUNDLED_WARNINGLISTS).join(', ');
    throw new ConfigError(file, `invalid config: ${line ? `line ${line}: ` : ''}warninglists.${name}: not a bundled list (${known}); give {path: FILE, mode: MODE} for a list of your own`);
  }
}

function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  doc: Document,
  lines: LineCounter,
): string {
  const shown = issues.slice(0, 5).map((issue) => {
    const path = issue.path.map(String);
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const at = keys.length ? [...path, keys[0]!] : path;
    const line = lineOf(doc, lines, at);
    const where = `${line ? `line ${line}: ` : ''}${formatPath(at) || '(top level)'}`;
    const message = /received undefined$/.test(issue.message) ? 'required' : issue.message;
    const what = keys.length ? `unknown key${keys.length > 1 ? 's' : ''} ${keys.join(', ')}` : message;
    return `${where}: ${what}`;
  });
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  return `invalid config: ${shown.join("; ")}${more}`;
}

function formatPath(path: readonly string[]): string {
  return path.map((p, i) => (/^\d+$/.test(p) ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function lineOf(doc: Document, lines: LineCounter, path: readonly string[]): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const keys = path.slice(0, depth).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    const node = depth === 0 ? doc.contents : doc.getIn(keys, true);
    const parent = depth > 0 ? doc.getIn(keys.slice(0, -1), true) : undefined;
    if (isMap(parent)) {
      const pair = parent.items.find((item) => String((item.key as { value?: unknown })?.value) === String(keys.at(-1)));
      const range = (pair?.key as { range?: [number] } | undefined)?.range;
      if (range) return lines.linePos(range[0]).line;
    }
    const range = (node as { range?: [number] } | null | undefined)?.range;
    if (range) return lines.linePos(range[0]).line;
  }
  return undefined;
}

const isUrl = (v: string) => /^https?:\/\//i.test(v);

function resolvePaths(parsed: ParsedConfig, file: string): Config {
  const base = dirname(resolve(file));
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  return {
    ...parsed,
    file: resolve(file),
    data_dir: abs(parsed.data_dir),
    dns: parsed.dns.query_log ? { ...parsed.dns, query_log: { ...parsed.dns.query_log, path: abs(parsed.dns.query_log.path) } } : parsed.dns,
    events: {
      ...parsed.events,
      ...(parsed.events.file ? { file: { ...parsed.events.file, path: abs(parsed.events.file.path) } } : {}),
      ...(parsed.events.syslog?.ca_file ? { syslog: { ...parsed.events.syslog, ca_file: abs(parsed.events.syslog.ca_file) } } : {}),
    },
    // A trailing slash says "a folder" (a MISP feed): resolving must not drop it.
    feeds: parsed.feeds.map((f) => ({ ...f, url: isUrl(f.url) ? f.url : abs(f.url) + (/[\\/]$/.test(f.url) ? '/' : '') })),
    allowlist: parsed.allowlist.map((a) => ('path' in a ? { path: abs(a.path) } : a)),
    warninglists: Object.fromEntries(
      Object.entries(parsed.warninglists).map(([name, w]) => [name, typeof w === 'string' ? w : { ...w, path: abs(w.path) }]),
    ),
  };
}

type LineAt = (path: string[]) => number | undefined;

function checkFeeds(config: ParsedConfig, file: string, lineAt: LineAt): void {
  const seen = new Set<string>();
  config.feeds.forEach((feed, i) => {
    // Named like schema issues, with the line, so every config error reads the same way.
    const fail = (key: string, message: string): never => {
      const line = lineAt(['feeds', String(i), key]);
      const where = `${line ? `line ${line}: ` : ''}feeds[${i}].${key}`;
      throw new ConfigError(file, `invalid config: ${where}: ${message}`);
    };
    if (seen.has(feed.name)) fail('name', `duplicate feed name ${feed.name}`);
    if (feed.name === 'manual') fail('name', 'manual is reserved for entries added through the admin API');
    seen.add(feed.name);
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(feed.url) && !isUrl(feed.url)) {
      fail('url', 'only http, https and local paths are supported');
    }
  });
}
