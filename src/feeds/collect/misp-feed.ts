import { dirname, join } from 'node:path';
import { FeedFetchError, FeedParseError } from '../../errors.js';
import type { CollectContext, Collector } from './types.js';

/**
 * A MISP feed: `manifest.json` maps each event UUID to its timestamp, and each event is its
 * own `<uuid>.json`. Only events whose timestamp moved are fetched again; the rest are taken
 * from the last accepted document, which is the `{"response": [{"Event": ...}]}` the MISP
 * parser reads. One event that cannot be fetched fails the update, so the last good data
 * stays whole rather than silently losing that event.
 */
export const collectMispFeed: Collector = async (ctx) => {
  const where = locate(ctx.feed.url);
  const manifest = readManifest(ctx, await fetchJson(ctx, where.manifest, `manifest ${where.manifest}`));
  const before = readState(ctx.previousState);
  const kept = before ? previousEvents(ctx.previousBody) : new Map<string, Json>();

  const stale = [...manifest].filter(([uuid, stamp]) => before?.timestamps[uuid] !== stamp || !kept.has(uuid)).map(([uuid]) => uuid);
  const dropped = before !== undefined && Object.keys(before.timestamps).some((uuid) => !manifest.has(uuid));
  if (before && stale.length === 0 && !dropped) return { kind: 'unchanged' };

  const fetched = await fetchEvents(ctx, where, stale);
  // Manifest order, so the same events give the same bytes and the update counts as unchanged.
  const events = [...manifest.keys()].map((uuid) => ({ Event: fetched.get(uuid) ?? kept.get(uuid)! }));
  return {
    kind: 'body',
    body: Buffer.from(JSON.stringify({ response: events })),
    contentType: 'application/json',
    state: { timestamps: Object.fromEntries(manifest) } satisfies FeedState,
  };
};

type Json = Record<string, unknown>;

interface FeedState {
  timestamps: Record<string, string>;
}

interface Location {
  manifest: string;
  event: (uuid: string) => string;
}

// Manifest keys become file names and URL paths: anything but a UUID could climb out of the
// feed's folder ("../") or name another host ("//elsewhere/").
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const CONCURRENCY = 4;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The manifest and event addresses of a feed url: its folder (`.../`) or its `manifest.json`. */
function locate(url: string): Location {
  const isManifest = (s: string) => /(^|\/)manifest\.json$/i.test(s);
  if (/^https?:\/\//i.test(url)) {
    const parsed = new URL(url);
    const base = isManifest(parsed.pathname) || parsed.pathname.endsWith('/') ? parsed : new URL(`${parsed.pathname}/${parsed.search}`, parsed);
    return { manifest: isManifest(parsed.pathname) ? parsed.href : new URL('manifest.json', base).href, event: (uuid) => new URL(`${uuid}.json`, base).href };
  }
  const dir = isManifest(url) ? dirname(url) : url;
  return { manifest: join(dir, 'manifest.json'), event: (uuid) => join(dir, `${uuid}.json`) };
}

/** UUID → timestamp, in manifest order. */
function readManifest(ctx: CollectContext, doc: unknown): Map<string, string> {
  if (!isObject(doc)) {
    throw new FeedParseError('manifest.json is not a MISP feed manifest: expected an object of event UUID → {"timestamp": ...}', ctx.feed.name);
  }
  const out = new Map<string, string>();
  for (const [uuid, entry] of Object.entries(doc)) {
    if (!UUID.test(uuid)) throw new FeedParseError(`manifest.json: key ${JSON.stringify(uuid.slice(0, 80))} is not an event UUID`, ctx.feed.name);
    const stamp = isObject(entry) ? entry.timestamp : undefined;
    if (typeof stamp !== 'string' && typeof stamp !== 'number') {
      throw new FeedParseError(`manifest.json: event ${uuid} has no timestamp`, ctx.feed.name);
    }
    out.set(uuid, String(stamp));
  }
  return out;
}

function readState(state: unknown): FeedState | undefined {
  if (!isObject(state) || !isObject(state.timestamps)) return undefined;
  const timestamps: Record<string, string> = {};
  for (const [uuid, stamp] of Object.entries(state.timestamps)) if (typeof stamp === 'string') timestamps[uuid] = stamp;
  return { timestamps };
}

/**
 * The events of the last accepted document by UUID; nothing when it cannot be read (all are
 * fetched again). An event file whose own uuid differs from its manifest key is never found
 * here, so it is fetched on every update: wasteful, never wrong.
 */
function previousEvents(body: Buffer | undefined): Map<string, Json> {
  const out = new Map<string, Json>();
  if (!body) return out;
  try {
    const doc: unknown = JSON.parse(body.toString('utf8'));
    const response = isObject(doc) && Array.isArray(doc.response) ? doc.response : [];
    for (const item of response) {
      const event = isObject(item) ? item.Event : undefined;
      if (isObject(event) && typeof event.uuid === 'string') out.set(event.uuid, event);
    }
  } catch {
    // An unreadable cache costs a full fetch, nothing more.
  }
  return out;
}

async function fetchEvents(ctx: CollectContext, where: Location, uuids: string[]): Promise<Map<string, Json>> {
  const out = new Map<string, Json>();
  const queue = [...uuids];
  let failure: unknown;
  const worker = async () => {
    for (let uuid = queue.shift(); uuid !== undefined && failure === undefined; uuid = queue.shift()) {
      try {
        out.set(uuid, await fetchEvent(ctx, where.event(uuid), uuid));
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
  if (failure !== undefined) throw failure;
  return out;
}

async function fetchEvent(ctx: CollectContext, url: string, uuid: string): Promise<Json> {
  const what = `event ${uuid} (${url})`;
  const doc = await fetchJson(ctx, url, what);
  const event = isObject(doc) && isObject(doc.Event) ? doc.Event : doc;
  if (!isObject(event) || !(Array.isArray(event.Attribute) || Array.isArray(event.Object))) {
    throw new FeedParseError(`${what} is not a MISP event: expected {"Event": {"Attribute": [...]}}`, ctx.feed.name);
  }
  return compact(event);
}

async function fetchJson(ctx: CollectContext, url: string, what: string): Promise<unknown> {
  let body: Buffer;
  try {
    const outcome = await ctx.fetch(url);
    if (outcome.kind !== 'body') throw new Error('no body');
    body = outcome.body;
  } catch (err) {
    const message = (err as Error).message.replace(`feed ${ctx.feed.name}: `, '');
    throw new FeedFetchError(ctx.feed.name, `${what}: ${message}`, { cause: err });
  }
  try {
    return JSON.parse(body.toString('utf8').replace(/^\ufeff/, ''));
  } catch (err) {
    throw new FeedParseError(`${what} is not valid JSON: ${(err as Error).message}`, ctx.feed.name);
  }
}

/**
 * Drops what the parser never reads and that can be large: related events, proposals, reports,
 * and the base64 `data` of malware samples and attachments, which would otherwise sit (live
 * malware included) in the cached body.
 */
function compact(event: Json): Json {
  delete event.RelatedEvent;
  delete event.ShadowAttribute;
  delete event.EventReport;
  const attributes = [event.Attribute, ...(Array.isArray(event.Object) ? event.Object.map((o) => (isObject(o) ? o.Attribute : undefined)) : [])];
  for (const group of attributes) {
    if (!Array.isArray(group)) continue;
    for (const attribute of group) {
      if (!isObject(attribute)) continue;
      delete attribute.data;
      delete attribute.ShadowAttribute;
    }
  }
  return event;
}
