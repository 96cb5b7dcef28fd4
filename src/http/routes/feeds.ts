import { Hono } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { SluiceError } from '../../errors.js';
import type { HttpDeps } from '../context.js';

/**
 * GET /v1/feeds: every feed's state, counts, and examples of invalid and skipped values.
 * Until admin tokens exist, only clients in the admin address set (loopback) may read it,
 * because feed URLs can carry credentials.
 */
export function feedRoutes(deps: HttpDeps): Hono {
  const app = new Hono();
  app.get('/v1/feeds', (c) => {
    const client = getConnInfo(c).remote.address ?? '';
    if (!deps.adminClients.hasText(client)) {
      throw new SluiceError('SLUICE_ERR_FORBIDDEN', 'admin routes answer loopback clients only');
    }
    if (!deps.feedStatus) throw new SluiceError('SLUICE_ERR_NOT_FOUND', 'this process runs no syncer');
    return c.json({ feeds: deps.feedStatus().map(redactUrl) });
  });
  return app;
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
