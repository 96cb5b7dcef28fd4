import { FeedFetchError } from '../../errors.js';
import { apiRootOf } from './taxii/discovery.js';
import { isTimestamp, ObjectSet } from './taxii/objects.js';
import { pollObjects, type PollLimits } from './taxii/poll.js';
import { isObject, taxiiHeaders } from './taxii/request.js';
import type { CollectContext, Collector } from './types.js';

/** What a TAXII feed keeps between polls: where the last completed poll ended. */
export interface TaxiiState {
  addedAfter: string;
}

export const DEFAULT_POLL_LIMITS: PollLimits = { maxPages: 1000, maxMillis: 30 * 60_000 };

function previousState(ctx: CollectContext): TaxiiState | undefined {
  const s = ctx.previousState;
  return isObject(s) && isTimestamp(s.addedAfter) ? { addedAfter: s.addedAfter } : undefined;
}

/**
 * A TAXII 2.1 collection as one STIX bundle. The first poll reads the whole collection; later
 * ones ask only for what was added after the X-TAXII-Date-Added-Last of the last completed poll
 * and merge it into the last accepted bundle (an object's newest version wins).
 */
export function makeTaxiiCollector(limits: PollLimits = DEFAULT_POLL_LIMITS): Collector {
  return async (ctx) => {
    if (!ctx.feed.taxii) throw new FeedFetchError(ctx.feed.name, 'format taxii needs taxii: {collection: ID}');
    if (!/^https?:\/\//i.test(ctx.feed.url)) {
      throw new FeedFetchError(ctx.feed.name, 'a TAXII url must be http(s): an API root or a discovery endpoint (…/taxii2/)');
    }
    const headers = taxiiHeaders(ctx.feed);
    const root = await apiRootOf(ctx, headers);
    const state = previousState(ctx);
    // Without the bundle it was merged into, a date is no use: read the whole collection again.
    const held = state ? ObjectSet.fromBundle(ctx.previousBody) : undefined;
    const since = held ? state!.addedAfter : undefined;
    const poll = await pollObjects(ctx, root, headers, since, limits);

    const dateAddedLast = poll.dateAddedLast ?? since;
    const next: TaxiiState | undefined = dateAddedLast ? { addedAfter: dateAddedLast } : undefined;
    if (!held) return { kind: 'body', body: poll.objects.toBundle(), contentType: 'application/json', state: next };

    let changed = false;
    for (const obj of poll.objects.values()) if (held.add(obj)) changed = true;
    if (!changed) return { kind: 'unchanged' };
    return { kind: 'body', body: held.toBundle(), contentType: 'application/json', state: next };
  };
}

export const collectTaxii: Collector = makeTaxiiCollector();
