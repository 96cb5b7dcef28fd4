import type { Context } from 'hono';
import { BadRequestError, httpStatusFor, SluiceError } from '../../errors.js';
import type { Logger } from '../../log.js';

/**
 * Every error becomes a JSON body `{"error":{"code","message","param"?}}` with the status its
 * code maps to. Only unexpected errors (500) are logged: a bad request is the client's fault.
 */
export function errorHandler(logger: Logger) {
  return (err: Error, c: Context) => {
    const status = httpStatusFor(err);
    if (status >= 500 && !(err instanceof SluiceError)) logger.error({ err, path: c.req.path }, 'request failed');
    const body: { code: string; message: string; param?: string } = {
      code: err instanceof SluiceError ? err.code : 'SLUICE_ERR_INTERNAL',
      message: status >= 500 && !(err instanceof SluiceError) ? 'internal error' : err.message,
    };
    if (err instanceof BadRequestError) body.param = err.param;
    return c.json({ error: body }, status as 500);
  };
}
