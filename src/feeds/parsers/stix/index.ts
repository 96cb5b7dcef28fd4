import { FeedParseError } from '../../../errors.js';
import type { ParseReport } from '../report.js';
import type { ParserOptions } from '../types.js';

export function parseStix(_text: string, _options: ParserOptions, _report: ParseReport): void {
  throw new FeedParseError('not implemented yet');
}
