/**
 * Shared text handling for every line-based format. Feeds arrive with a UTF-8 byte order
 * mark, Windows (CRLF) or old Mac (bare CR) line ends; all of them are made plain here, once,
 * so no parser can leave a carriage return glued to a value.
 */

const BOM = '\ufeff';

/** Body bytes as text: UTF-8, leading BOM removed, CRLF and bare CR turned into LF. */
export function decodeText(body: Uint8Array): string {
  let text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (text.startsWith(BOM)) text = text.slice(1);
  if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
  return text;
}

/** Calls `fn` for every line with its 1-based number, without building an array of lines. */
export function forEachLine(text: string, fn: (line: string, lineNo: number) => void): void {
  let start = 0;
  let lineNo = 1;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start || end < text.length) fn(text.slice(start, end), lineNo);
    start = end + 1;
    lineNo++;
  }
}

/**
 * Cuts an inline comment: a `#` or `;` that starts the line or follows whitespace. A `#` inside
 * a token (a URL fragment) is not a comment.
 */
export function stripComment(line: string, markers = '#;'): string {
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (markers.includes(c) && (i === 0 || line[i - 1] === ' ' || line[i - 1] === '\t')) {
      return line.slice(0, i);
    }
  }
  return line;
}
