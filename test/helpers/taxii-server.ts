import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { feedConfig } from './feeds.js';
import { fetchSource } from '../../src/feeds/fetch/index.js';
import type { CollectContext } from '../../src/feeds/collect/types.js';

export const TAXII_TYPE = 'application/taxii+json;version=2.1';

export type StixObject = Record<string, unknown>;

/**
 * How the server pages: `next` hands out opaque tokens; `date` says more=true without a token
 * (the client pages on with added_after); `stuck` says more=true with the same token forever;
 * `endless` says more=true with a new token every time.
 */
export type Paging = 'next' | 'date' | 'stuck' | 'endless';

export interface SeenRequest {
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** What the server answered, for objects requests. */
  answer?: { next?: string; more: boolean; count: number; first?: string; last?: string };
}

interface Stored {
  obj: StixObject;
  dateAdded: string;
}

/** A TAXII 2.1 server on a loopback port, with one API root per name, whose collections the test fills. */
export class TaxiiServer {
  readonly requests: SeenRequest[] = [];
  paging: Paging = 'next';
  /** Date paging: added_after also returns objects added at that very time (an overlap to dedupe). */
  inclusive = false;
  auth: { basic?: [string, string]; bearer?: string } = {};
  /** While set, answers every request instead of the TAXII routes (a 401, an HTML page). */
  override: ((c: Context) => Response) | undefined;
  port = 0;
  private readonly collections = new Map<string, Stored[]>();
  private readonly cursors = new Map<string, { offset: number; filters: string }>();
  private server: Server | undefined;

  add(collection: string, objects: StixObject[], dateAdded: string | ((i: number) => string)): void {
    const list = this.collections.get(collection) ?? [];
    objects.forEach((obj, i) => list.push({ obj, dateAdded: typeof dateAdded === 'string' ? dateAdded : dateAdded(i) }));
    list.sort((a, b) => (a.dateAdded < b.dateAdded ? -1 : a.dateAdded > b.dateAdded ? 1 : 0));
    this.collections.set(collection, list);
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Objects requests only. */
  get objectRequests(): SeenRequest[] {
    return this.requests.filter((r) => r.path.endsWith('/objects/'));
  }

  async start(): Promise<void> {
    const app = this.app();
    await new Promise<void>((resolve) => {
      this.server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
        this.port = info.port;
        resolve();
      }) as Server;
    });
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private app(): Hono {
    const app = new Hono();
    const taxii = (c: Context, body: unknown, headers: Record<string, string> = {}) =>
      c.body(JSON.stringify(body), 200, { 'Content-Type': TAXII_TYPE, ...headers });
    const roots = ['api1', 'api2'];
    app.use('*', async (c, next) => {
      this.requests.push({ path: c.req.path, query: c.req.query(), headers: c.req.header() });
      if (this.override) return this.override(c);
      const accepted: string[] = [];
      if (this.auth.basic) accepted.push(`Basic ${Buffer.from(this.auth.basic.join(':')).toString('base64')}`);
      if (this.auth.bearer) accepted.push(`Bearer ${this.auth.bearer}`);
      if (accepted.length && !accepted.includes(c.req.header('authorization') ?? '')) return c.json({ title: 'unauthorized', http_status: '401' }, 401);
      if (!(c.req.header('accept') ?? '').includes('application/taxii+json')) return c.json({ title: 'not acceptable' }, 406);
      await next();
    });
    app.get('/taxii2/', (c) =>
      taxii(c, { title: 'sluice test server', default: this.url('/api1/'), api_roots: roots.map((r) => this.url(`/${r}/`)) }),
    );
    app.get('/:root/', (c) =>
      roots.includes(c.req.param('root')) ? taxii(c, { title: c.req.param('root'), versions: [TAXII_TYPE], max_content_length: 10_485_760 }) : c.notFound(),
    );
    app.get('/:root/collections/:id/objects/', (c) =>
      roots.includes(c.req.param('root')) ? this.objects(c, c.req.param('id'), taxii) : c.json({ title: 'no such API root' }, 404),
    );
    return app;
  }

  private objects(c: Context, id: string, taxii: (c: Context, body: unknown, headers?: Record<string, string>) => Response): Response {
    const stored = this.collections.get(id);
    if (!stored) return c.json({ title: 'no such collection' }, 404);
    const { next, ...filters } = c.req.query();
    const after = filters.added_after;
    const matching = after === undefined ? stored : stored.filter((s) => (this.inclusive ? s.dateAdded >= after : s.dateAdded > after));
    const limit = Math.min(Number(filters.limit) || 100, 1000);
    let offset = 0;
    if (next !== undefined && (this.paging === 'next' || this.paging === 'endless')) {
      const cursor = this.cursors.get(next);
      // A token is only good with the filters it was issued for (TAXII 2.1, 3.4.2).
      if (!cursor || cursor.filters !== JSON.stringify(filters)) return c.json({ title: 'bad next' }, 400);
      offset = cursor.offset;
    }
    const page = matching.slice(offset, offset + limit);
    let more = offset + limit < matching.length;
    let token: string | undefined;
    if (this.paging === 'stuck') [more, token] = [true, 'same-token'];
    if (this.paging === 'endless') more = true;
    if (more && (this.paging === 'next' || this.paging === 'endless')) {
      token = randomUUID();
      this.cursors.set(token, { offset: this.paging === 'endless' ? 0 : offset + limit, filters: JSON.stringify(filters) });
    }
    const first = page[0]?.dateAdded;
    const last = page.at(-1)?.dateAdded;
    this.requests.at(-1)!.answer = { more, count: page.length, ...(token ? { next: token } : {}), ...(first ? { first, last } : {}) };
    const headers: Record<string, string> = first && last ? { 'X-TAXII-Date-Added-First': first, 'X-TAXII-Date-Added-Last': last } : {};
    return taxii(c, { more, ...(token ? { next: token } : {}), objects: page.map((s) => s.obj) }, headers);
  }
}

/** A collector context as the feed updater makes one: the real HTTP fetch, no retries. */
export function collectContext(
  feed: Record<string, unknown>,
  previous: { body?: Buffer; state?: unknown } = {},
): CollectContext {
  const config = feedConfig({ name: 'taxii', format: 'taxii', ...feed });
  return {
    feed: config,
    fetch: (url, init) =>
      fetchSource({ feed: config.name, url, timeoutMs: 2000, maxBytes: 10_000_000, retries: 0, backoffMs: 10, userAgent: 'sluice-test', headers: { ...init?.headers } }),
    previousBody: previous.body,
    previousState: previous.state,
    now: Math.floor(Date.now() / 1000),
  };
}

/** The objects of a bundle body. */
export function bundleObjects(body: Buffer): StixObject[] {
  const bundle = JSON.parse(body.toString('utf8')) as { type: string; id: string; objects: StixObject[] };
  if (bundle.type !== 'bundle' || !/^bundle--[0-9a-f-]{36}$/.test(bundle.id)) throw new Error('not a STIX bundle');
  return bundle.objects;
}
