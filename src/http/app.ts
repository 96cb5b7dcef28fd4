import { Hono } from 'hono';
import { SluiceError } from '../errors.js';
import type { HttpDeps } from './context.js';
import { errorHandler } from './middleware/errors.js';
import { edlRoutes, edlTokenGuard } from './routes/edl.js';
import { feedRoutes } from './routes/feeds.js';
import { forwardAuthRoutes } from './routes/forward-auth.js';
import { healthRoutes } from './routes/health.js';
import { indicatorRoutes } from './routes/indicators.js';
import { metricsRoutes } from './routes/metrics.js';
import { taxiiRoutes } from './routes/taxii.js';
import { verdictRoutes } from './routes/verdict.js';

export type { HttpDeps };

/** The whole HTTP API as one hono app. */
export function buildApp(deps: HttpDeps): Hono {
  const app = new Hono();
  if (deps.verdictAuth === 'token') {
    app.use('/v1/verdict', deps.auth.require('verdict'));
    app.use('/edl/*', edlTokenGuard(deps));
    app.use('/v1/forward-auth', deps.auth.require('verdict'));
  }
  app.route('/', verdictRoutes(deps));
  app.route('/', edlRoutes(deps));
  app.route('/', forwardAuthRoutes(deps));
  app.route('/', feedRoutes(deps));
  app.route('/', indicatorRoutes(deps));
  app.route('/', healthRoutes(deps));
  app.route('/', metricsRoutes(deps));
  if (deps.taxii) app.route('/', taxiiRoutes(deps, deps.taxii));
  app.notFound(() => {
    throw new SluiceError('SLUICE_ERR_NOT_FOUND', 'no such route');
  });
  app.onError(errorHandler(deps.logger));
  return app;
}
