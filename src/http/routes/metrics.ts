import { Hono } from 'hono';
import type { HttpDeps } from '../context.js';

/** GET /metrics in the Prometheus text format. */
export function metricsRoutes(deps: HttpDeps): Hono {
  const app = new Hono();
  app.get('/metrics', async (c) => {
    const [own, more] = await Promise.all([deps.gatewayMetrics?.() ?? deps.metrics.registry.metrics(), deps.moreMetrics?.() ?? '']);
    const text = more ? `${own.trimEnd()}\n${more}` : own;
    return c.text(text, 200, { 'Content-Type': deps.metrics.registry.contentType });
  });
  return app;
}
