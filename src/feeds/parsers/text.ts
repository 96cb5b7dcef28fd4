import { forEachLine, stripComment } from './lines.js';
import type { ParseReport } from './report.js';
import type { ParserOptions } from './types.js';

/**
 * One value a line: `#` and `;` comment lines and inline comments, extra columns after the
 * first token ignored (ipsum's counts, maltrail's labels), a quoted first token unquoted.
 */
export function parseText(text: string, options: ParserOptions, report: ParseReport): void {
  forEachLine(text, (raw, lineNo) => {
    const line = stripComment(raw).trim();
    if (line === '') return;
    report.value(firstToken(line), lineNo, options.hint);
  });
}

function firstToken(line: string): string {
  if (line.startsWith('"')) {
    const end = line.indexOf('"', 1);
    if (end > 0) return line.slice(1, end);
  }
  const space = line.search(/\s/);
  return space < 0 ? line : line.slice(0, space);
}
