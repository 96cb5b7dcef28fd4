import { readFile } from 'node:fs/promises';
import { forEachLine, stripComment } from './parsers/lines.js';
import { decodeText, ParseReport } from './parsers/index.js';

/**
 * Reads an allowlist file: one value a line (domain, address, CIDR or URL), `#` and `;`
 * comments. Every entry becomes an allow observation; invalid lines are reported like a
 * feed's, with their line numbers. Throws when the file cannot be read.
 */
export async function readAllowlistFile(path: string): Promise<ParseReport> {
  const text = decodeText(await readFile(path));
  return parseAllowlist(text);
}

export function parseAllowlist(text: string): ParseReport {
  const report = new ParseReport();
  forEachLine(text, (raw, lineNo) => {
    const line = stripComment(raw).trim();
    if (line === '') return;
    report.value(line.split(/\s+/)[0]!, lineNo, 'auto', { action: 'allow' });
  });
  return report;
}
