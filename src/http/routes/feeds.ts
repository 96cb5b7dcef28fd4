import { Hono } from 'hono';
import { SluiceError } from '../../errors.js';
import { callerOf } from '../auth.js';
import type { AdminDeps, HttpDeps } from '../context.js';

/**
 * GET /v1/feeds: every feed's state, counts, examples of invalid and quarantined values, and
 * any update held back by the change guard (scope read). POST /v1/feeds/{name}/sync fetches a
 * feed now; POST /v1/feeds/{name}/accept publishes its held update (scope admin).
 */
export function feedRoutes(deps: HttpDeps): Hono {
  const app = new Hono();
  app.get('/v1/feeds', deps.auth.require('read'), (c) => {
    if (!deps.feedStatus) throw new SluiceError('SLUICE_ERR_NOT_FOUND', 'this process runs no syncer');
    return c.json({ feeds: deps.feedStatus().map(redactUrl) });
  });
  app.post('/v1/feeds/:name/sync', deps.auth.require('admin'), async (c) => {
    const name = c.req.param('name');
    if (!(await admin(deps).syncFeed(name))) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no feed named ${name}`);
    return c.json({ feed: name, synced: true });
  });
  app.post('/v1/feeds/:name/accept', deps.auth.require('admin'), async (c) => {
    const name = c.req.param('name');
    const known = (deps.feedStatus?.() as Array<{ name: string }> | undefined)?.some((f) => f.name === name);
    if (!known) throw new SluiceError('SLUICE_ERR_NOT_FOUND', `no feed named ${name}`);
    const accepted = await admin(deps).acceptFeed(name);
    if (!accepted) throw new SluiceError('SLUICE_ERR_CONFLICT', `feed ${name} has no held update to accept`);
    deps.logger.warn({ feed: name, by: callerOf(c).name }, 'held feed update accepted');
    return c.json({ feed: name, accepted: true, ...accepted });
  });
  return app;
}

function admin(deps: HttpDeps): AdminDeps {
  if (!deps.admin) throw new SluiceError('SLUICE_ERR_NOT_FOUND', 'this process runs no syncer');
  return deps.admin;
}

/** Feed URLs may hold keys in their user info or query; status shows neither. */
function redactUrl(status: unknown): unknown {
  const s = status as { url?: string };
  if (!s.url || !/^https?:/i.test(s.url)) return status;
  try {
    const url = new URL(s.url);
    if (url.username || url.password) {
      url.username = 'redacted';
      url.password = '';
    }
    for (const key of url.searchParams.keys()) url.searchParams.set(key, 'redacted');
    return { ...s, url: url.toString() };
  } catch {
    return status;
  }
}
