import { createHash } from 'node:crypto';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { BadRequestError, SluiceError } from '../../errors.js';
import { renderList, LIST_FORMATS, type ListFormat } from '../../edl/formats.js';
import { listLines, LIST_KINDS, type ListKind } from '../../edl/select.js';
import { ListAuth } from '../../edl/auth.js';
import { ListCache } from '../../edl/cache.js';
import { listProblems, listWarnings } from '../../edl/check.js';
import type { EdlListConfig } from '../../edl/lists.js';
import type { Matcher } from '../../match/matcher.js';
import { wholeSet } from './whole-set.js';
import type { HttpDeps } from '../context.js';

/** Rendered lists kept per set version, so a fleet of firewalls pulling costs one render. */
const MAX_CACHED_LISTS = 64;

/** The built-in lists; they win over a configured list of the same name. */
const BUILT_IN = LIST_KINDS.map((k) => `${k}.txt`);

/** A configured list as served: its config, its own credentials, what keeps it from rendering (auth aside). */
interface NamedList {
  list: EdlListConfig;
  auth: ListAuth | undefined;
  problems: string[];
}

/**
 * GET /edl/{ip,domain,url,hash}.txt: one entry a line, filtered by `min_score` and `feed`, with
 * an ETag per version and filter so a firewall's conditional pull gets a 304.
 * GET /edl/{name}: a list configured under `edl:`, in its format, paged with `?page=N`.
 */
export function edlRoutes(deps: HttpDeps): Hono {
  const app = new Hono();
  const cache = new Map<string, { body: string; etag: string }>();
  let cachedVersion = -1;
  const named = namedLists(deps);
  const lists = new ListCache(deps.logger);

  app.get('/edl/:file', async (c) => {
    const file = c.req.param('file');
    const kind = file.replace(/\.txt$/, '') as ListKind;
    if (!file.endsWith('.txt') || !LIST_KINDS.includes(kind)) {
      const list = named.get(file);
      if (list) return serveNamed(c, deps, lists, list);
      const configured = [...named.keys()];
      throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no list ${file}; lists are ${[...BUILT_IN, ...configured].join(', ')}`);
    }
    const matcher = wholeSet(deps);
    const filter = readFilter(c.req.query('min_score'), c.req.query('feed'), c.req.query('format'));
    const feeds = deps.feedStatus?.() as Array<{ name: string }> | undefined;
    if (filter.feed !== undefined && feeds && !feeds.some((f) => f.name === filter.feed)) {
      throw new BadRequestError('feed', `no feed named ${filter.feed}`);
    }

    if (matcher.version !== cachedVersion) {
      cache.clear();
      cachedVersion = matcher.version;
    }
    const key = JSON.stringify([kind, filter]);
    let list = cache.get(key);
    if (!list) {
      list = render(matcher, kind, filter);
      if (cache.size >= MAX_CACHED_LISTS) cache.delete(cache.keys().next().value!);
      cache.set(key, list);
    }

    c.header('ETag', list.etag);
    c.header('Cache-Control', 'no-cache');
    if (matchesEtag(c.req.header('if-none-match'), list.etag)) return c.body(null, 304);
    return c.text(list.body, 200, { 'Content-Type': 'text/plain; charset=utf-8' });
  });
  return app;
}

/**
 * With `http.verdict_auth: token`, /edl/* needs a gateway token, except a list with its own
 * `auth:`: a firewall sends one Authorization header, and for such a list it carries the
 * list's credentials.
 */
export function edlTokenGuard(deps: HttpDeps): MiddlewareHandler {
  const guard = deps.auth.require('verdict');
  const ownAuth = new Set([...servedLists(deps.edl ?? []).values()].filter((l) => l.auth).map((l) => l.name));
  return (c, next) => (ownAuth.has(c.req.path.slice('/edl/'.length)) ? next() : guard(c, next));
}

/** Reads each list's secrets and checks it once, at start; warnings and problems are logged then. */
function namedLists(deps: HttpDeps): Map<string, NamedList> {
  const configured = deps.edl ?? [];
  for (const warning of listWarnings(configured, BUILT_IN)) deps.logger.warn(warning);
  const out = new Map<string, NamedList>();
  for (const list of servedLists(configured).values()) {
    const auth = list.auth ? new ListAuth(list, deps.env ?? process.env) : undefined;
    const problems = listProblems(list);
    for (const problem of [...(auth?.problem ? [auth.problem] : []), ...problems]) {
      deps.logger.error(`${problem}; the list answers 503 until this is fixed`);
    }
    out.set(list.name, { list, auth, problems });
  }
  return out;
}

/** The lists served by name: the first of each name, none that a built-in list shadows. */
function servedLists(configured: readonly EdlListConfig[]): Map<string, EdlListConfig> {
  const out = new Map<string, EdlListConfig>();
  for (const list of configured) if (!out.has(list.name) && !BUILT_IN.includes(list.name)) out.set(list.name, list);
  return out;
}

async function serveNamed(c: Context, deps: HttpDeps, cache: ListCache, named: NamedList): Promise<Response> {
  const { list, auth, problems } = named;
  const outcome = auth?.check(c.req.header('authorization'));
  if (outcome === 'misconfigured') return c.json({ error: { code: 'SLUICE_ERR_CONFIG', message: auth!.problem } }, 503);
  if (outcome === 'denied') {
    for (const challenge of auth!.challenges) c.header('WWW-Authenticate', challenge, { append: true });
    throw new SluiceError('SLUICE_ERR_UNAUTHORIZED', `list ${list.name} needs its credentials`);
  }
  // After the credentials, so only a client that may read the list learns how it is misconfigured.
  if (problems.length > 0) return c.json({ error: { code: 'SLUICE_ERR_CONFIG', message: problems.join('; ') } }, 503);
  const page = readPage(c.req.query('page'));
  const matcher = wholeSet(deps);

  const served = cache.page(matcher, list, page);
  const gzip = acceptsGzip(c.req.header('accept-encoding'));
  const representation = gzip ? await served.gzipped() : served;
  c.header('ETag', representation.etag);
  c.header('Cache-Control', 'no-cache');
  c.header('Vary', 'Accept-Encoding');
  c.header('X-Sluice-Pages', String(served.pages));
  if (served.cut > 0) c.header('X-Sluice-Cut', String(served.cut));
  // Either representation's validator names the same content, so either earns a 304.
  if (matchesEtag(c.req.header('if-none-match'), served.etag) || (gzip && matchesEtag(c.req.header('if-none-match'), representation.etag))) {
    return c.body(null, 304);
  }
  c.header('Content-Type', served.contentType);
  if (gzip) c.header('Content-Encoding', 'gzip');
  return c.body(new Uint8Array(representation.body), 200);
}

/**
 * `?page=N`, 1-based, page 1 when absent. A page past the last is a valid page with no entries
 * (a comment line, or the format's empty structure), not a 404: a firewall that pulls page 3
 * of a list that shrank to two pages should empty that list, where a 404 would keep it
 * enforcing stale entries. A list without page_size has one page.
 */
function readPage(text: string | undefined): number {
  if (text === undefined) return 1;
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) throw new BadRequestError('page', 'must be a page number from 1');
  return Number(text);
}

function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    return coding!.trim() === 'gzip' && (q === undefined || Number(q) > 0);
  });
}

interface Filter {
  minScore?: number;
  feed?: string;
  format: ListFormat;
}

function readFilter(minScore: string | undefined, feed: string | undefined, format: string | undefined): Filter {
  const filter: Filter = { format: 'plain' };
  if (minScore !== undefined) {
    if (!/^\d{1,3}$/.test(minScore) || Number(minScore) > 100) {
      throw new BadRequestError('min_score', 'must be an integer from 0 to 100');
    }
    filter.minScore = Number(minScore);
  }
  if (feed !== undefined) {
    if (feed === '') throw new BadRequestError('feed', 'must name a feed');
    filter.feed = feed;
  }
  if (format !== undefined) {
    if (!(LIST_FORMATS as readonly string[]).includes(format)) {
      throw new BadRequestError('format', `must be one of ${LIST_FORMATS.join(', ')}`);
    }
    filter.format = format as ListFormat;
  }
  return filter;
}

function render(matcher: Matcher, kind: ListKind, filter: Filter) {
  const lines = listLines(matcher, {
    kind,
    ...(filter.minScore !== undefined ? { minScore: filter.minScore } : {}),
    ...(filter.feed !== undefined ? { feed: filter.feed } : {}),
  });
  const body = renderList(matcher, lines, kind, filter.format);
  const digest = createHash('sha256').update(body).digest('base64url').slice(0, 16);
  return { body, etag: `"${matcher.version}-${digest}"` };
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*');
}
