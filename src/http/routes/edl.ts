import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { BadRequestError } from '../../errors.js';
import { renderList, LIST_FORMATS, type ListFormat } from '../../edl/formats.js';
import { listLines, LIST_KINDS, type ListKind } from '../../edl/select.js';
import type { Matcher } from '../../match/matcher.js';
import type { HttpDeps } from '../context.js';
import { SluiceError } from '../../errors.js';

/** Rendered lists kept per set version, so a fleet of firewalls pulling costs one render. */
const MAX_CACHED_LISTS = 64;

/**
 * GET /edl/{ip,domain,url,hash}.txt: one entry a line, filtered by `min_score` and `feed`, with
 * an ETag per version and filter so a firewall's conditional pull gets a 304.
 */
export function edlRoutes(deps: HttpDeps): Hono {
  const app = new Hono();
  const cache = new Map<string, { body: string; etag: string }>();
  let cachedVersion = -1;

  app.get('/edl/:file', (c) => {
    const kind = c.req.param('file').replace(/\.txt$/, '') as ListKind;
    if (!c.req.param('file').endsWith('.txt') || !LIST_KINDS.includes(kind)) {
      throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no list ${c.req.param('file')}; lists are ${LIST_KINDS.map((k) => `${k}.txt`).join(', ')}`);
    }
    const matcher = deps.holder.current;
    if (!matcher) throw new SluiceError('SLUICE_ERR_NOT_READY', 'no indicator set loaded yet');
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
