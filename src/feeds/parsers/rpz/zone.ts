/**
 * Master-file syntax (RFC 1035 section 5) read one entry at a time: a resource record, a
 * `$` directive, or a line that could not be read. Names are left as written; what they
 * mean (origins, the zone apex) is for the caller.
 */

export interface ZoneRecord {
  kind: 'record';
  line: number;
  /** The owner as written; undefined when the line starts blank (the previous owner again). */
  owner: string | undefined;
  /** Upper-case. */
  type: string;
  rdata: string[];
  text: string;
}

export interface ZoneDirective {
  kind: 'directive';
  line: number;
  /** Upper-case, with its `$`. */
  name: string;
  args: string[];
  text: string;
}

export interface ZoneError {
  kind: 'error';
  line: number;
  text: string;
  reason: string;
  /** The owner the broken line stated, if any: blank-owner records after it belong to it. */
  owner?: string;
}

export type ZoneEntry = ZoneRecord | ZoneDirective | ZoneError;

/** A parenthesised record longer than this is taken as a "(" that was never closed. */
const MAX_RECORD_LINES = 100;

const TTL = /^(?:\d+|(?:\d+[smhdw])+)$/i;
const CLASSES = new Set(['IN', 'CH', 'HS', 'CS', 'NONE', 'ANY']);
const TYPES = new Set([
  'A', 'AAAA', 'AFSDB', 'APL', 'CAA', 'CDNSKEY', 'CDS', 'CERT', 'CNAME', 'CSYNC', 'DHCID', 'DLV', 'DNAME',
  'DNSKEY', 'DS', 'EUI48', 'EUI64', 'HINFO', 'HIP', 'HTTPS', 'IPSECKEY', 'KEY', 'KX', 'LOC', 'MX', 'NAPTR',
  'NS', 'NSEC', 'NSEC3', 'NSEC3PARAM', 'OPENPGPKEY', 'PTR', 'RP', 'RRSIG', 'SIG', 'SMIMEA', 'SOA', 'SPF',
  'SRV', 'SSHFP', 'SVCB', 'TLSA', 'TXT', 'URI', 'ZONEMD',
]);

export function isTtl(token: string): boolean {
  return TTL.test(token);
}

/** Calls `fn` for every entry of a zone file, in order. */
export function readZone(text: string, fn: (entry: ZoneEntry) => void): void {
  const cursor = new LineCursor(text);
  while (!cursor.done) {
    const line = cursor.next();
    const first = cursor.lineNo - 1;
    const resume = cursor.mark();
    let lexed = lexLine(line, 0);
    const tokens = [...lexed.tokens];
    let lines = 1;
    let unclosed = false;
    while (!lexed.error && lexed.depth > 0) {
      if (cursor.done || lines >= MAX_RECORD_LINES) {
        unclosed = true;
        break;
      }
      lexed = lexLine(cursor.next(), lexed.depth);
      tokens.push(...lexed.tokens);
      lines++;
    }
    const shown = line.trim();
    const blankOwner = /^[ \t]/.test(line);
    const stated = !blankOwner && tokens[0] !== undefined && !tokens[0].startsWith('$') ? { owner: tokens[0] } : {};
    if (unclosed || (lexed.error && lines > 1)) {
      // One broken record must not swallow the rest of the zone: the lines after its first are
      // read again as records of their own (and a broken one among them is reported there).
      cursor.reset(resume);
      fn({ kind: 'error', line: first, text: shown, reason: '"(" is never closed', ...stated });
    } else if (lexed.error) {
      fn({ kind: 'error', line: first, text: shown, reason: lexed.error, ...stated });
    } else if (tokens.length > 0) {
      const entry = entryOf(tokens, blankOwner, first, shown);
      fn(entry.kind === 'error' ? { ...entry, ...stated } : entry);
    }
  }
}

function entryOf(tokens: string[], blankOwner: boolean, line: number, text: string): ZoneEntry {
  if (!blankOwner && tokens[0]!.startsWith('$')) {
    return { kind: 'directive', line, name: tokens[0]!.toUpperCase(), args: tokens.slice(1), text };
  }
  const owner = blankOwner ? undefined : tokens[0]!;
  const rest = blankOwner ? tokens : tokens.slice(1);
  // TTL and class are both optional and may come in either order.
  let k = 0;
  let ttl = false;
  let cls = false;
  while (k < rest.length && k < 2) {
    const token = rest[k]!;
    if (!ttl && TTL.test(token)) ttl = true;
    else if (!cls && CLASSES.has(token.toUpperCase())) cls = true;
    else break;
    k++;
  }
  const type = rest[k]?.toUpperCase();
  if (type === undefined) return { kind: 'error', line, text, reason: 'no record type' };
  if (!TYPES.has(type) && !/^TYPE\d+$/.test(type)) {
    return { kind: 'error', line, text, reason: `unknown record type ${JSON.stringify(rest[k])}` };
  }
  return { kind: 'record', line, owner, type, rdata: rest.slice(k + 1), text };
}

interface Lexed {
  tokens: string[];
  depth: number;
  error?: string;
}

/** Tokens of one line; `depth` counts the parentheses still open, which join lines. */
function lexLine(line: string, depth: number): Lexed {
  const tokens: string[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') {
      i++;
    } else if (c === ';') {
      break;
    } else if (c === '(') {
      depth++;
      i++;
    } else if (c === ')') {
      if (depth === 0) return { tokens, depth, error: 'unbalanced ")"' };
      depth--;
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') j += line[j] === '\\' ? 2 : 1;
      if (j >= line.length) return { tokens, depth, error: 'unterminated quoted string' };
      tokens.push(line.slice(i + 1, j));
      i = j + 1;
    } else {
      let j = i;
      while (j < line.length && !' \t;()"'.includes(line[j]!)) j += line[j] === '\\' ? 2 : 1;
      tokens.push(line.slice(i, Math.min(j, line.length)));
      i = j;
    }
  }
  return { tokens, depth };
}

/** Lines of a text by offset, so a reader can step back without an array of every line. */
class LineCursor {
  private pos = 0;
  lineNo = 1;

  constructor(private readonly text: string) {}

  get done(): boolean {
    return this.pos >= this.text.length;
  }

  next(): string {
    let end = this.text.indexOf('\n', this.pos);
    if (end < 0) end = this.text.length;
    const line = this.text.slice(this.pos, end);
    this.pos = end + 1;
    this.lineNo++;
    return line;
  }

  mark(): { pos: number; lineNo: number } {
    return { pos: this.pos, lineNo: this.lineNo };
  }

  reset(mark: { pos: number; lineNo: number }): void {
    this.pos = mark.pos;
    this.lineNo = mark.lineNo;
  }
}
