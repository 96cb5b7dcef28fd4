import { pino } from 'pino';
import { replaceRootLogger } from '../../src/log.js';

/** A logger that writes nothing; tests assert on behaviour, not log lines. */
export const silentLogger = pino({ level: 'silent' });
replaceRootLogger(silentLogger);
