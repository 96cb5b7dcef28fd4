import { Hono } from 'hono';
import type { HttpDeps } from '../context.js';

/** GET /metrics in the Prometheus text format. */
export function metricsRoutes(deps: HttpDeps): Hono {
  const app = new Hono();
  app.get('/metrics', async (c) => {
    const text = await deps.metrics.registry.metrics();
    return c.text(text, 200, { 'Content-Type': deps.metrics.registry.contentType });
  });
  return app;
}
