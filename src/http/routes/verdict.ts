import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { BadRequestError, SluiceError } from '../../errors.js';
import type { Matcher } from '../../match/matcher.js';
import { parseQuery, type QueryKind } from '../../match/query.js';
import { settled } from '../../match/settle.js';
import { decide, describe, type Decision } from '../../match/verdict.js';
import type { HttpDeps } from '../context.js';

const PARAMS: readonly QueryKind[] = ['value', 'ip', 'domain', 'url', 'hash'];
/** Values one POST may ask about; more is a 400, not a slow request. */
export const MAX_BATCH_VALUES = 1000;
const MAX_BATCH_BYTES = 1_000_000;

/** GET and POST /v1/verdict: the verdict on values, with the match and its sources. */
export function verdictRoutes(deps: HttpDeps): Hono {
  const app = new Hono();

  app.get('/v1/verdict', async (c) => {
    const given = PARAMS.filter((p) => c.req.query(p) !== undefined);
    if (given.length !== 1) {
      throw new BadRequestError(given[1] ?? 'value', `give exactly one of ${PARAMS.join(', ')}`);
    }
    const param = given[0]!;
    const query = parseQuery(c.req.query(param)!, param, param);
    const matcher = current(deps);
    const started = performance.now();
    const decision = await settled(matcher, () => decide(matcher, query));
    return c.json(describe(counted(deps, matcher, decision, (performance.now() - started) / 1000)));
  });

  app.post('/v1/verdict', bodyLimit({ maxSize: MAX_BATCH_BYTES, onError: () => {
    throw new BadRequestError('body', `larger than ${MAX_BATCH_BYTES} bytes`);
  } }), async (c) => {
    const values = await readValues(c.req.raw);
    const matcher = current(deps);
    const queries = values.map((value, i) => {
      try {
        return parseQuery(value, 'value', `values[${i}]`);
      } catch (err) {
        if (!(err instanceof SluiceError)) throw err;
        return err;
      }
    });
    const started = performance.now();
    // One lookup pass for the whole batch: an edge set confirms every possible match at once.
    const decisions = await settled(matcher, () => queries.map((q) => (q instanceof SluiceError ? undefined : decide(matcher, q))));
    const each = (performance.now() - started) / 1000 / Math.max(1, queries.length);
    const results = queries.map((q, i) => {
      if (q instanceof SluiceError) return { value: values[i], error: { code: q.code, message: q.message } };
      return describe(counted(deps, matcher, decisions[i]!, each));
    });
    return c.json({ results });
  });

  return app;
}

function current(deps: HttpDeps): Matcher {
  const matcher = deps.holder.current;
  if (!matcher) throw new SluiceError('SLUICE_ERR_NOT_READY', 'no indicator set loaded yet');
  return matcher;
}

/** Counts a decision in the metrics and hit events. */
function counted(deps: HttpDeps, matcher: Matcher, decision: Decision, seconds: number): Decision {
  const query = decision.query;
  const m = deps.metrics;
  m.lookupDuration.observe(seconds);
  m.verdicts.inc({ type: query.type, verdict: decision.verdict });
  if (decision.hit && decision.verdict !== 'allow') {
    const type = matcher.entryType(decision.hit.entry);
    const feeds = matcher.entryFeeds(decision.hit.entry);
    for (const feed of feeds) m.hits.inc({ feed, type });
    deps.onHit?.({ source: 'verdict', value: query.input, type, verdict: decision.verdict, indicator: matcher.entryValue(decision.hit.entry), feeds });
  }
  return decision;
}

async function readValues(req: Request): Promise<string[]> {
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    throw new BadRequestError('body', 'not valid JSON');
  }
  const values = (body as { values?: unknown })?.values;
  if (!Array.isArray(values)) throw new BadRequestError('values', 'must be an array of strings');
  if (values.length > MAX_BATCH_VALUES) throw new BadRequestError('values', `at most ${MAX_BATCH_VALUES} values`);
  const bad = values.findIndex((v) => typeof v !== 'string');
  if (bad >= 0) throw new BadRequestError(`values[${bad}]`, 'must be a string');
  return values as string[];
}
