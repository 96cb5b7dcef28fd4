/**
 * Tokens of STIX patterning: punctuation, comparison operators, words (object types, property
 * names, keywords) and literals, already decoded (escapes resolved, timestamps read).
 */

export type Literal =
  | { kind: 'string'; value: string }
  | { kind: 'int' | 'float'; value: number }
  | { kind: 'bool'; value: boolean }
  | { kind: 'timestamp'; value: string; epoch: number }
  | { kind: 'hex' | 'binary'; value: string }
  | { kind: 'set'; items: Literal[] };

/** A pattern that is not STIX patterning; `position` is a 0-based offset into the pattern. */
export class PatternSyntaxError extends Error {
  readonly position: number;

  constructor(message: string, position: number) {
    super(message);
    this.name = 'PatternSyntaxError';
    this.position = position;
  }
}

export type Token =
  | { t: 'punct'; v: '[' | ']' | '(' | ')' | ':' | '.' | ',' | '*'; at: number }
  | { t: 'op'; v: '=' | '!=' | '<' | '>' | '<=' | '>='; at: number }
  | { t: 'word'; v: string; at: number }
  | { t: 'literal'; v: Literal; at: number }
  | { t: 'eof'; at: number };

const WORD_START = /[A-Za-z_]/;
/** Word characters; a hyphen too, as in domain-name and x-acme-type. */
const WORD_CHAR = /[A-Za-z0-9_-]/;
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
/** Sticky: matches at lastIndex only, so a long pattern is not copied for every number. */
const NUMBER = /[+-]?(\d*)(\.\d+)?/y;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The tokens of a pattern, ending with `eof`. Throws PatternSyntaxError. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      i++;
      continue;
    }
    const start = i;
    if (c === "'") {
      const { value, end } = readString(text, i);
      tokens.push({ t: 'literal', v: { kind: 'string', value }, at: start });
      i = end;
    } else if (WORD_START.test(c)) {
      while (i < text.length && WORD_CHAR.test(text[i]!)) i++;
      const word = text.slice(start, i);
      // t'..', h'..' and b'..' are literals: a one-letter word glued to a quote.
      if (text[i] === "'" && (word === 't' || word === 'h' || word === 'b')) {
        const { value, end } = readString(text, i);
        tokens.push({ t: 'literal', v: prefixed(word, value, start), at: start });
        i = end;
      } else {
        tokens.push({ t: 'word', v: word, at: start });
      }
    } else if (isNumberStart(text, i, tokens)) {
      const { literal, end } = readNumber(text, i);
      tokens.push({ t: 'literal', v: literal, at: start });
      i = end;
    } else {
      const two = text.slice(i, i + 2);
      if (two === '!=' || two === '<=' || two === '>=' || two === '==' || two === '<>') {
        const v = two === '==' ? '=' : two === '<>' ? '!=' : two;
        tokens.push({ t: 'op', v, at: start });
        i += 2;
      } else if (c === '=' || c === '<' || c === '>') {
        tokens.push({ t: 'op', v: c, at: start });
        i++;
      } else if ('[]():.,*'.includes(c)) {
        tokens.push({ t: 'punct', v: c as '[', at: start });
        i++;
      } else {
        throw new PatternSyntaxError(`unexpected character ${JSON.stringify(c)}`, i);
      }
    }
  }
  tokens.push({ t: 'eof', at: text.length });
  return tokens;
}

/** Only `\'` and `\\` are escapes in STIX strings; any other backslash is an error. */
function readString(text: string, open: number): { value: string; end: number } {
  let value = '';
  let i = open + 1;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'") return { value, end: i + 1 };
    if (c === '\\') {
      const next = text[i + 1];
      if (next !== "'" && next !== '\\') {
        throw new PatternSyntaxError(`invalid escape \\${next ?? ''} in string literal`, i);
      }
      value += next;
      i += 2;
      continue;
    }
    value += c;
    i++;
  }
  throw new PatternSyntaxError('unterminated string literal', open);
}

function prefixed(prefix: 't' | 'h' | 'b', body: string, at: number): Literal {
  if (prefix === 't') {
    const ms = TIMESTAMP.test(body) ? Date.parse(body) : NaN;
    if (!Number.isFinite(ms)) throw new PatternSyntaxError(`bad timestamp literal t'${body}'`, at);
    return { kind: 'timestamp', value: body, epoch: Math.floor(ms / 1000) };
  }
  if (prefix === 'h') {
    if (!/^(?:[0-9A-Fa-f]{2})*$/.test(body)) {
      throw new PatternSyntaxError(`bad hex literal h'${body}'`, at);
    }
    return { kind: 'hex', value: body.toLowerCase() };
  }
  if (!BASE64.test(body)) throw new PatternSyntaxError(`bad binary literal b'${body}'`, at);
  return { kind: 'binary', value: body };
}

/**
 * A sign or digit starts a number; so does a dot before a digit, but only where a literal may
 * stand (after an operator, `(` or `,`), since elsewhere a dot separates path steps.
 */
function isNumberStart(text: string, i: number, tokens: Token[]): boolean {
  const c = text[i]!;
  const next = text[i + 1] ?? '';
  const digit = (ch: string) => ch >= '0' && ch <= '9';
  if (digit(c)) return true;
  if (c === '+' || c === '-') return digit(next) || (next === '.' && digit(text[i + 2] ?? ''));
  if (c !== '.' || !digit(next)) return false;
  const prev = tokens[tokens.length - 1];
  return prev?.t === 'op' || (prev?.t === 'punct' && (prev.v === '(' || prev.v === ','));
}

function readNumber(text: string, start: number): { literal: Literal; end: number } {
  NUMBER.lastIndex = start;
  const m = NUMBER.exec(text)!;
  const end = start + m[0].length;
  if (WORD_CHAR.test(text[end] ?? '') || text[end] === '.') {
    const shown = JSON.stringify(text.slice(start, end + 1));
    throw new PatternSyntaxError(`bad number literal ${shown}`, start);
  }
  const value = Number(m[0]);
  return { literal: { kind: m[2] ? 'float' : 'int', value }, end };
}
