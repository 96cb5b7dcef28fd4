import type { CollectContext } from '../types.js';
import { compareTimestamps, isTimestamp, ObjectSet } from './objects.js';
import { getTaxii, isObject, shown, taxiiError, type Json } from './request.js';

/** Bounds on one poll, so a server that never says "no more" cannot hold a sync forever. */
export interface PollLimits {
  maxPages: number;
  maxMillis: number;
}

export interface Poll {
  /** Every object of every page, each at its newest version. */
  objects: ObjectSet;
  /** The latest X-TAXII-Date-Added-Last of the poll, where the server gave one. */
  dateAddedLast: string | undefined;
}

interface Envelope {
  more: boolean;
  next: string | undefined;
  objects: Json[];
}

/**
 * Reads a collection's objects (those added after `since`, if given) over as many pages as the
 * server has: by its `next` token, else by added_after from X-TAXII-Date-Added-Last. Every page
 * repeats the poll's filters. Throws FeedFetchError when a page fails or the server does not
 * move on; nothing of a failed poll is kept.
 */
export async function pollObjects(
  ctx: CollectContext,
  root: string,
  headers: Record<string, string>,
  since: string | undefined,
  limits: PollLimits,
): Promise<Poll> {
  const taxii = ctx.feed.taxii!;
  const base = `${root}collections/${encodeURIComponent(taxii.collection)}/objects/`;
  const objects = new ObjectSet();
  const tokens = new Set<string>();
  const started = performance.now();
  let addedAfter = since;
  let next: string | undefined;
  let dateAddedLast: string | undefined;
  const fail = (page: number, why: string) =>
    taxiiError(ctx.feed, `TAXII collection ${taxii.collection} at ${shown(root)}: ${why} (stopped at page ${page}; the previous data stays)`);

  for (let page = 1; ; page++) {
    if (page > limits.maxPages) throw fail(page - 1, `the server still had more after ${limits.maxPages} pages`);
    if (performance.now() - started > limits.maxMillis) throw fail(page - 1, `the poll took longer than ${Math.round(limits.maxMillis / 1000)} s`);
    if (ctx.signal?.aborted) throw fail(page - 1, 'aborted');

    const query = new URLSearchParams({ limit: String(taxii.page_size) });
    if (addedAfter !== undefined) query.set('added_after', addedAfter);
    if (next !== undefined) query.set('next', next);
    const url = `${base}?${query}`;
    const answer = await getTaxii(ctx, url, `objects page ${page}`, headers);
    const envelope = envelopeOf(answer.json);
    if (typeof envelope === 'string') throw fail(page, envelope);
    for (const obj of envelope.objects) objects.add(obj);

    const last = answer.headers['x-taxii-date-added-last'];
    const lastOk = isTimestamp(last) ? last : undefined;
    if (lastOk && (dateAddedLast === undefined || compareTimestamps(lastOk, dateAddedLast) > 0)) dateAddedLast = lastOk;
    if (!envelope.more) return { objects, dateAddedLast };

    if (envelope.next !== undefined) {
      if (tokens.has(envelope.next)) throw fail(page, `the server returned the next token ${JSON.stringify(envelope.next)} again`);
      tokens.add(envelope.next);
      next = envelope.next;
    } else {
      // More without a token: the rest is what was added after this page's last object.
      if (!lastOk) throw fail(page, 'more=true without next and without an X-TAXII-Date-Added-Last header');
      if (addedAfter !== undefined && compareTimestamps(lastOk, addedAfter) <= 0) {
        throw fail(page, `more=true but X-TAXII-Date-Added-Last ${lastOk} is not after added_after ${addedAfter}`);
      }
      addedAfter = lastOk;
      next = undefined;
    }
  }
}

/** The envelope of an objects answer, or why it is not one. */
function envelopeOf(json: Json): Envelope | string {
  const { more = false, next, objects = [] } = json;
  if (typeof more !== 'boolean') return 'envelope "more" is not true or false';
  if (next !== undefined && typeof next !== 'string' && typeof next !== 'number') return 'envelope "next" is not a string';
  if (!Array.isArray(objects)) return 'envelope "objects" is not a list';
  return { more, next: next === undefined || next === '' ? undefined : String(next), objects: objects.filter(isObject) };
}
