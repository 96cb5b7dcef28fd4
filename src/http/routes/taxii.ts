import { Hono, type Context } from 'hono';
import { SluiceError, BadRequestError } from '../../errors.js';
import { selectEntries, type ListKind } from '../../edl/select.js';
import type { Matcher } from '../../match/matcher.js';
import { toStix, type SharedIndicator } from '../../sharing/stix-export.js';
import { mayShare } from '../../sharing/tlp.js';
import { callerOf } from '../auth.js';
import { wholeSet } from './whole-set.js';
import type { HttpDeps } from '../context.js';

const TAXII = 'application/taxii+json;version=2.1';
const STIX = 'application/stix+json;version=2.1';
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
/** Shared lists kept per set version, collection and TLP ceiling. */
const MAX_CACHED = 32;

/** One collection: a named list's selection, shared as STIX indicators. */
export interface TaxiiCollection {
  id: string;
  title: string;
  kinds: ListKind[];
  minScore?: number | undefined;
  feeds: string[];
  tags: string[];
}

export interface TaxiiSettings {
  title: string;
  collections: TaxiiCollection[];
}

/**
 * A read-only TAXII 2.1 server (discovery, one API root, its collections and their objects)
 * so partners can pull what sluice enforces as STIX. Each token sees indicators up to its TLP
 * ceiling (http.tokens[].tlp); TLP:RED is never shared. Objects are ordered by the time sluice
 * first saw them (date_added), then id, and pages continue after the last one sent, so a
 * new set version between two pages neither repeats nor skips an object.
 */
export function taxiiRoutes(deps: HttpDeps, settings: TaxiiSettings): Hono {
  const app = new Hono();
  const cache = new Map<string, SharedIndicator[]>();
  const read = deps.auth.require('read');
  const taxii = (c: Context, body: unknown, headers: Record<string, string> = {}) => {
    for (const [k, v] of Object.entries(headers)) c.header(k, v);
    return c.body(JSON.stringify(body), 200, { 'content-type': TAXII });
  };

  app.get('/taxii2/', read, (c) => {
    const root = new URL('/taxii2/api/', c.req.url).toString();
    return taxii(c, { title: settings.title, description: 'indicators sluice enforces, as STIX 2.1', default: root, api_roots: [root] });
  });
  app.get('/taxii2/api/', read, (c) => taxii(c, { title: settings.title, versions: [TAXII], max_content_length: 104_857_600 }));
  app.get('/taxii2/api/collections/', read, (c) => taxii(c, { collections: settings.collections.map(describe) }));
  app.get('/taxii2/api/collections/:id/', read, (c) => taxii(c, describe(collection(settings, c.req.param('id')))));

  app.get('/taxii2/api/collections/:id/objects/', read, (c) => {
    const col = collection(settings, c.req.param('id'));
    const matcher = wholeSet(deps);
    const ceiling = callerOf(c).tlp;
    const key = `${matcher.version}\u0000${col.id}\u0000${ceiling}`;
    let shared = cache.get(key);
    if (!shared) {
      shared = sharedIndicators(matcher, col).filter((s) => mayShare(s.tlp, ceiling));
      if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
      cache.set(key, shared);
    }

    const limit = readLimit(c.req.query('limit'));
    const after = readTime(c.req.query('added_after'));
    const cursor = readNext(c.req.query('next'));
    const start = shared.findIndex((s) => (after === undefined || s.added > after) && (!cursor || s.added > cursor[0] || (s.added === cursor[0] && s.object.id > cursor[1])));
    const page = start < 0 ? [] : shared.slice(start, start + limit);
    const more = start >= 0 && start + limit < shared.length;
    const headers: Record<string, string> = {};
    if (page.length) {
      headers['X-TAXII-Date-Added-First'] = page[0]!.added;
      headers['X-TAXII-Date-Added-Last'] = page.at(-1)!.added;
    }
    // Only indicators, so `limit` counts what a client asked for; their TLP markings are the
    // fixed TLP 2.0 ids every consumer knows.
    const objects = page.map((s) => s.object);
    const envelope: { more: boolean; next?: string; objects?: object[] } = { more };
    if (more) envelope.next = Buffer.from(JSON.stringify([page.at(-1)!.added, page.at(-1)!.object.id])).toString('base64url');
    if (objects.length) envelope.objects = objects;
    return taxii(c, envelope, headers);
  });
  return app;
}

function describe(col: TaxiiCollection) {
  return { id: col.id, title: col.title, can_read: true, can_write: false, media_types: [STIX] };
}

function collection(settings: TaxiiSettings, id: string): TaxiiCollection {
  const col = settings.collections.find((c) => c.id === id);
  if (!col) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no collection ${id}`);
  return col;
}

/** Every indicator of the collection's selection as STIX, oldest first. */
function sharedIndicators(matcher: Matcher, col: TaxiiCollection): SharedIndicator[] {
  const out: SharedIndicator[] = [];
  for (const kind of col.kinds) {
    for (const e of selectEntries(matcher, { kind, ...(col.minScore !== undefined ? { minScore: col.minScore } : {}) })) {
      if (col.feeds.length && !matcher.entryFeeds(e).some((f) => col.feeds.includes(f))) continue;
      if (col.tags.length && !matcher.entryDetail(e).sources.some((s) => s.tags?.some((t) => col.tags.includes(t)))) continue;
      const s = toStix(matcher, e);
      if (s) out.push(s);
    }
  }
  return out.sort((a, b) => (a.added < b.added ? -1 : a.added > b.added ? 1 : a.object.id < b.object.id ? -1 : 1));
}

function readLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new BadRequestError('limit', 'a positive whole number');
  return Math.min(n, MAX_LIMIT);
}

function readTime(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const t = Date.parse(raw);
  if (Number.isNaN(t)) throw new BadRequestError('added_after', 'a timestamp such as 2024-05-01T00:00:00.000Z');
  return new Date(t).toISOString();
}

function readNext(raw: string | undefined): [string, string] | undefined {
  if (raw === undefined) return undefined;
  try {
    const v = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && typeof v[0] === 'string' && typeof v[1] === 'string') return [v[0], v[1]];
  } catch {
    // fall through
  }
  throw new BadRequestError('next', 'not a token this server gave');
}
