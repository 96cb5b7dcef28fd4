import { Hono } from 'hono';
import type { HttpDeps } from '../context.js';

/** Liveness always; readiness once a set is loaded, with the version being enforced. */
export function healthRoutes(deps: HttpDeps): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', (c) => {
    const matcher = deps.holder.current;
    const feeds = deps.feedStatus?.() as Array<{ state: string }> | undefined;
    const detail = {
      ready: matcher !== undefined,
      version: matcher?.version ?? null,
      feeds: feeds ? countBy(feeds.map((f) => f.state)) : undefined,
      // A gateway that lost its store still serves the version it holds: ready, but degraded.
      ...(deps.storeDegraded ? { degraded: deps.storeDegraded() } : {}),
    };
    return c.json(detail, matcher ? 200 : 503);
  });
  return app;
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
