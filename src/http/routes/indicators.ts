import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { parseDuration } from '../../config/units.js';
import { BadRequestError, SluiceError } from '../../errors.js';
import { TYPE_HINTS, type TypeHint } from '../../indicators/types.js';
import { decisionFor, safeNormalize } from '../../match/explain.js';
import { settled } from '../../match/settle.js';
import { describe } from '../../match/verdict.js';
import type { Override } from '../../overrides/store.js';
import { callerOf } from '../auth.js';
import type { AdminDeps, HttpDeps } from '../context.js';

const MAX_BODY_BYTES = 16_384;

/**
 * GET /v1/indicators/{value}: explain (scope read): the verdict with each source's decayed
 * part, the allowlist or warninglist that applied, the guard that holds it, and any manual
 * entry. GET /v1/indicators lists manual entries. POST adds one, DELETE removes one (admin).
 */
export function indicatorRoutes(deps: HttpDeps): Hono {
  const app = new Hono();

  app.get('/v1/indicators', deps.auth.require('read'), async (c) => c.json({ entries: await admin(deps).overrides.list() }));

  app.get('/v1/indicators/:value{.+}', deps.auth.require('read'), async (c) => {
    const value = c.req.param('value');
    const matcher = deps.holder.current;
    if (!matcher) throw new SluiceError('SLUICE_ERR_NOT_READY', 'no indicator set loaded yet');
    const decision = await settled(matcher, () => decisionFor(matcher, value));
    const body = describe(decision, deps.decay ? { decay: deps.decay } : {});
    const manual = deps.admin ? await manualFor(deps.admin, value) : [];
    return c.json({ ...body, manual });
  });

  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new BadRequestError('body', `larger than ${MAX_BODY_BYTES} bytes`);
    },
  });
  app.post('/v1/indicators', deps.auth.require('admin'), limit, async (c) => {
    const input = readNewEntry(await readJson(c.req.raw));
    const result = await admin(deps).overrides.add({ ...input, by: callerOf(c).name });
    return c.json(result, 201);
  });

  app.delete('/v1/indicators/:value{.+}', deps.auth.require('admin'), async (c) => {
    return c.json(await admin(deps).overrides.remove(c.req.param('value'), callerOf(c).name));
  });

  return app;
}

function admin(deps: HttpDeps): AdminDeps {
  if (!deps.admin) throw new SluiceError('SLUICE_ERR_NOT_FOUND', 'this process runs no syncer');
  return deps.admin;
}

async function manualFor(admin: AdminDeps, value: string): Promise<Override[]> {
  const keys = new Set(safeNormalize(value)?.values.map((v) => `${v.type}:${v.value}`) ?? []);
  return (await admin.overrides.list()).filter((o) => keys.has(`${o.type}:${o.value}`));
}

async function readJson(req: Request): Promise<Record<string, unknown>> {
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    throw new BadRequestError('body', 'not valid JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new BadRequestError('body', 'must be a JSON object');
  return body as Record<string, unknown>;
}

function readNewEntry(body: Record<string, unknown>) {
  const known = new Set(['value', 'action', 'reason', 'expires', 'type']);
  const unknown = Object.keys(body).find((k) => !known.has(k));
  if (unknown) throw new BadRequestError(unknown, 'unknown field; give value, action, reason, and optionally expires and type');
  const { value, action, reason, expires, type } = body;
  if (typeof value !== 'string' || value.trim() === '') throw new BadRequestError('value', 'must be a non-empty string');
  if (action !== 'block' && action !== 'allow') throw new BadRequestError('action', 'must be block or allow');
  if (typeof reason !== 'string' || reason.trim() === '') throw new BadRequestError('reason', 'say why: a non-empty string');
  if (reason.length > 500) throw new BadRequestError('reason', 'at most 500 characters');
  if (type !== undefined && (typeof type !== 'string' || !TYPE_HINTS.includes(type as TypeHint))) {
    throw new BadRequestError('type', `must be one of ${TYPE_HINTS.join(', ')}`);
  }
  const out: { value: string; action: 'block' | 'allow'; reason: string; expires?: number; type?: TypeHint } = { value, action, reason };
  if (type !== undefined) out.type = type as TypeHint;
  if (expires !== undefined) out.expires = readExpiry(expires);
  return out;
}

/** A duration from now ("7d") or an ISO time; never in the past. */
function readExpiry(raw: unknown): number {
  const now = Date.now();
  let at: number | undefined;
  if (typeof raw === 'string') {
    const ms = parseDuration(raw);
    at = ms !== undefined ? now + ms : Date.parse(raw);
  }
  if (at === undefined || Number.isNaN(at)) throw new BadRequestError('expires', 'a duration such as 7d, or an ISO 8601 time');
  if (at <= now) throw new BadRequestError('expires', 'lies in the past');
  return Math.floor(at / 1000);
}
