/**
 * The error catalogue. Every error sluice raises on purpose is a SluiceError with a stable
 * `code`; the CLI maps codes to exit statuses and the HTTP layer maps them to statuses.
 */

export type ErrorCode =
  | 'SLUICE_ERR_CONFIG'
  | 'SLUICE_ERR_USAGE'
  | 'SLUICE_ERR_FEED_FETCH'
  | 'SLUICE_ERR_FEED_PARSE'
  | 'SLUICE_ERR_FEED_REJECTED'
  | 'SLUICE_ERR_BAD_VALUE'
  | 'SLUICE_ERR_BAD_REQUEST'
  | 'SLUICE_ERR_STORE'
  | 'SLUICE_ERR_NOT_READY'
  | 'SLUICE_ERR_NOT_FOUND'
  | 'SLUICE_ERR_FORBIDDEN'
  | 'SLUICE_ERR_UNAUTHORIZED'
  | 'SLUICE_ERR_CONFLICT'
  | 'SLUICE_ERR_LISTEN';

/** Base class: `code` is stable and safe to match on; `message` names the thing at fault first. */
export class SluiceError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SluiceError';
    this.code = code;
  }
}

/** A config file or key is wrong; `where` is `file` or `file: key.path`. */
export class ConfigError extends SluiceError {
  constructor(where: string, message: string) {
    super('SLUICE_ERR_CONFIG', `${where}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** The command line is wrong. */
export class UsageError extends SluiceError {
  constructor(message: string) {
    super('SLUICE_ERR_USAGE', message);
    this.name = 'UsageError';
  }
}

/** A feed could not be fetched (network, status, size, timeout). */
export class FeedFetchError extends SluiceError {
  constructor(feed: string, message: string, options?: { cause?: unknown }) {
    super('SLUICE_ERR_FEED_FETCH', `feed ${feed}: ${message}`, options);
    this.name = 'FeedFetchError';
  }
}

/**
 * A feed body is broken as a whole (HTML, empty, truncated, not JSON, over the error budget).
 * Parsers raise it without the feed's name; the feed runner adds it with `forFeed`.
 */
export class FeedParseError extends SluiceError {
  readonly detail: string;
  /** What the refused parse found (its invalid values and their examples), when it got that far. */
  readonly found: unknown;

  constructor(detail: string, feed?: string, found?: unknown) {
    super('SLUICE_ERR_FEED_PARSE', feed === undefined ? detail : `feed ${feed}: ${detail}`);
    this.name = 'FeedParseError';
    this.detail = detail;
    this.found = found;
  }

  forFeed(feed: string, found: unknown = this.found): FeedParseError {
    return new FeedParseError(this.detail, feed, found);
  }
}

/** A single value is not a valid indicator; `reason` is short and stable enough to count by. */
export class BadValueError extends SluiceError {
  readonly reason: string;

  constructor(value: string, reason: string) {
    super('SLUICE_ERR_BAD_VALUE', `${JSON.stringify(value)}: ${reason}`);
    this.name = 'BadValueError';
    this.reason = reason;
  }
}

/** An HTTP request parameter is wrong; `param` names it. */
export class BadRequestError extends SluiceError {
  readonly param: string;

  constructor(param: string, message: string) {
    super('SLUICE_ERR_BAD_REQUEST', `${param}: ${message}`);
    this.name = 'BadRequestError';
    this.param = param;
  }
}

/** Reading or writing persisted state failed. */
export class StoreError extends SluiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SLUICE_ERR_STORE', message, options);
    this.name = 'StoreError';
  }
}

/** Exit statuses from DESIGN.md: 1 for runtime failures, 2 for bad usage or config. */
export function exitStatusFor(err: unknown): number {
  if (err instanceof SluiceError) {
    return err.code === 'SLUICE_ERR_CONFIG' || err.code === 'SLUICE_ERR_USAGE' ? 2 : 1;
  }
  return 1;
}

/** HTTP status for an error raised while answering a request. */
export function httpStatusFor(err: unknown): number {
  if (!(err instanceof SluiceError)) return 500;
  switch (err.code) {
    case 'SLUICE_ERR_BAD_REQUEST':
    case 'SLUICE_ERR_BAD_VALUE':
      return 400;
    case 'SLUICE_ERR_NOT_FOUND':
      return 404;
    case 'SLUICE_ERR_FORBIDDEN':
      return 403;
    case 'SLUICE_ERR_UNAUTHORIZED':
      return 401;
    case 'SLUICE_ERR_CONFLICT':
      return 409;
    case 'SLUICE_ERR_NOT_READY':
      return 503;
    default:
      return 500;
  }
}
