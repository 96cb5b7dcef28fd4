import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * Logs go to stderr as JSON lines, so that stdout stays free for command output
 * (`sluice check`, `sluice export`). Tokens and passwords are redacted wherever they appear.
 */
let root: Logger = pino(
  {
    level: process.env.SLUICE_LOG_LEVEL ?? 'info',
    base: { name: 'sluice' },
    redact: {
      paths: ['*.token', '*.password', '*.authorization', '*.headers.authorization', '*.api_key'],
      censor: '[redacted]',
    },
  },
  pino.destination({ fd: 2, sync: false }),
);

/** The process-wide logger. */
export function rootLogger(): Logger {
  return root;
}

/** Changes the level of every logger, including children already handed out. */
export function setLogLevel(level: LevelWithSilent): void {
  root.level = level;
}

/** A child logger for one component, with optional extra bindings such as `feed`. */
export function componentLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return root.child({ component, ...bindings });
}

/** Tests and the CLI can swap the root for a silent or in-memory one. */
export function replaceRootLogger(logger: Logger): void {
  root = logger;
}
