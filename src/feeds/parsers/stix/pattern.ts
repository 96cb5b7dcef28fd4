/**
 * STIX 2.1 patterning (part 5 of the spec): a recursive-descent parser over the tokens of
 * lexer.ts that turns a pattern into a tree. What is enforceable is for observables.ts.
 *
 *   pattern      := followedBy EOF
 *   followedBy   := obsOr ("FOLLOWEDBY" obsOr)*
 *   obsOr        := obsAnd ("OR" obsAnd)*
 *   obsAnd       := qualified ("AND" qualified)*
 *   qualified    := obsPrimary qualifier*
 *   obsPrimary   := "[" cmpOr "]" | "(" followedBy ")"
 *   qualifier    := START t'..' STOP t'..' | WITHIN number SECONDS | REPEATS int TIMES
 *   cmpOr        := cmpAnd ("OR" cmpAnd)*
 *   cmpAnd       := cmpPrimary ("AND" cmpPrimary)*
 *   cmpPrimary   := "(" cmpOr ")" | EXISTS path | path ["NOT"] operator literal
 */

import { PatternSyntaxError, tokenize, type Literal, type Token } from './lexer.js';

export { PatternSyntaxError, type Literal } from './lexer.js';

export type Operator =
  | '='
  | '!='
  | '<'
  | '>'
  | '<='
  | '>='
  | 'IN'
  | 'LIKE'
  | 'MATCHES'
  | 'ISSUBSET'
  | 'ISSUPERSET';

/** `[*]` is any element of a list; a number is one element. */
export type PathStep = { prop: string } | { index: number | '*' };

export interface ObjectPath {
  type: string;
  /** The first step is always a property. */
  steps: PathStep[];
}

export type Comparison =
  | { kind: 'compare'; path: ObjectPath; op: Operator; negated: boolean; value: Literal }
  | { kind: 'exists'; path: ObjectPath }
  | { kind: 'and' | 'or'; items: Comparison[] };

export type Qualifier =
  | { kind: 'startstop'; start: number; stop: number }
  | { kind: 'within'; seconds: number }
  | { kind: 'repeats'; times: number };

export type Observation =
  | { kind: 'observation'; test: Comparison }
  | { kind: 'and' | 'or' | 'followedby'; items: Observation[] }
  | { kind: 'qualified'; target: Observation; qualifier: Qualifier };

/** Nesting beyond this is refused: no producer writes it, and recursion must not overflow. */
const MAX_DEPTH = 64;

/** Longer patterns are refused before tokenizing: real ones are a few hundred characters. */
const MAX_PATTERN_CHARS = 100_000;

const WORD_OPERATORS = new Set(['IN', 'LIKE', 'MATCHES', 'ISSUBSET', 'ISSUPERSET']);

/** Parses a STIX pattern. Throws PatternSyntaxError naming what is wrong and where. */
export function parsePattern(pattern: string): Observation {
  if (pattern.length > MAX_PATTERN_CHARS) throw new PatternSyntaxError('pattern too long', 0);
  return new Parser(tokenize(pattern)).pattern();
}

class Parser {
  private i = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[]) {}

  pattern(): Observation {
    const tree = this.followedBy();
    const rest = this.peek();
    if (rest.t !== 'eof') throw this.error(`unexpected ${describe(rest)} after the pattern`, rest);
    return tree;
  }

  private followedBy(): Observation {
    return this.nary('followedby', 'FOLLOWEDBY', () => this.obsOr());
  }

  private obsOr(): Observation {
    return this.nary('or', 'OR', () => this.obsAnd());
  }

  private obsAnd(): Observation {
    return this.nary('and', 'AND', () => this.qualified());
  }

  private nary(kind: 'and' | 'or' | 'followedby', word: string, next: () => Observation): Observation {
    const items = [next()];
    while (this.acceptWord(word)) items.push(next());
    return items.length === 1 ? items[0]! : { kind, items };
  }

  private qualified(): Observation {
    let target = this.obsPrimary();
    for (;;) {
      const qualifier = this.qualifier();
      if (!qualifier) return target;
      target = { kind: 'qualified', target, qualifier };
    }
  }

  private obsPrimary(): Observation {
    const tok = this.peek();
    if (this.acceptPunct('[')) {
      const test = this.nested(() => this.cmpOr());
      this.expectPunct(']', 'to close the observation');
      return { kind: 'observation', test };
    }
    if (this.acceptPunct('(')) {
      const inner = this.nested(() => this.followedBy());
      this.expectPunct(')', 'to close the parenthesis');
      return inner;
    }
    throw this.error(`expected '[' or '(' but found ${describe(tok)}`, tok);
  }

  private qualifier(): Qualifier | undefined {
    if (this.acceptWord('START')) {
      const start = this.timestamp('START');
      if (!this.acceptWord('STOP')) throw this.error('START without STOP', this.peek());
      return { kind: 'startstop', start, stop: this.timestamp('STOP') };
    }
    if (this.acceptWord('WITHIN')) {
      const seconds = this.positiveNumber('WITHIN', false);
      if (!this.acceptWord('SECONDS')) throw this.error('WITHIN without SECONDS', this.peek());
      return { kind: 'within', seconds };
    }
    if (this.acceptWord('REPEATS')) {
      const times = this.positiveNumber('REPEATS', true);
      if (!this.acceptWord('TIMES')) throw this.error('REPEATS without TIMES', this.peek());
      return { kind: 'repeats', times };
    }
    return undefined;
  }

  private timestamp(after: string): number {
    const tok = this.next();
    if (tok.t === 'literal' && tok.v.kind === 'timestamp') return tok.v.epoch;
    throw this.error(`${after} needs a timestamp literal t'...'`, tok);
  }

  private positiveNumber(after: string, integer: boolean): number {
    const tok = this.next();
    const v = tok.t === 'literal' ? tok.v : undefined;
    if ((v?.kind === 'int' || (!integer && v?.kind === 'float')) && v.value > 0) return v.value;
    throw this.error(`${after} needs a positive ${integer ? 'integer' : 'number'}`, tok);
  }

  private cmpOr(): Comparison {
    const items = [this.cmpAnd()];
    while (this.acceptWord('OR')) items.push(this.cmpAnd());
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  }

  private cmpAnd(): Comparison {
    const items = [this.cmpPrimary()];
    while (this.acceptWord('AND')) items.push(this.cmpPrimary());
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  }

  private cmpPrimary(): Comparison {
    if (this.acceptPunct('(')) {
      const inner = this.nested(() => this.cmpOr());
      this.expectPunct(')', 'to close the parenthesis');
      return inner;
    }
    if (this.acceptWord('EXISTS')) return { kind: 'exists', path: this.path() };
    const path = this.path();
    const negated = this.acceptWord('NOT');
    const op = this.operator();
    return { kind: 'compare', path, op, negated, value: this.literalFor(op) };
  }

  private path(): ObjectPath {
    const typeTok = this.next();
    if (typeTok.t !== 'word') {
      throw this.error(`expected an object type but found ${describe(typeTok)}`, typeTok);
    }
    this.expectPunct(':', 'after the object type');
    const steps: PathStep[] = [{ prop: this.propertyName() }];
    for (;;) {
      if (this.acceptPunct('.')) {
        steps.push({ prop: this.propertyName() });
      } else if (this.acceptPunct('[')) {
        steps.push({ index: this.listIndex() });
        this.expectPunct(']', 'to close the list index');
      } else {
        return { type: typeTok.v, steps };
      }
    }
  }

  private listIndex(): number | '*' {
    const tok = this.next();
    if (tok.t === 'punct' && tok.v === '*') return '*';
    if (tok.t === 'literal' && tok.v.kind === 'int') return tok.v.value;
    throw this.error(`expected a list index but found ${describe(tok)}`, tok);
  }

  private propertyName(): string {
    const tok = this.next();
    if (tok.t === 'word') return tok.v;
    if (tok.t === 'literal' && tok.v.kind === 'string') return tok.v.value;
    throw this.error(`expected a property name but found ${describe(tok)}`, tok);
  }

  private operator(): Operator {
    const tok = this.next();
    if (tok.t === 'op') return tok.v;
    if (tok.t === 'word') {
      const word = tok.v.toUpperCase();
      if (WORD_OPERATORS.has(word)) return word as Operator;
    }
    throw this.error(`expected a comparison operator but found ${describe(tok)}`, tok);
  }

  private literalFor(op: Operator): Literal {
    if (op === 'IN') return this.setLiteral();
    const tok = this.next();
    const literal = tok.t === 'literal' ? tok.v : tok.t === 'word' ? boolOf(tok.v) : undefined;
    if (!literal) throw this.error(`expected a literal after ${op} but found ${describe(tok)}`, tok);
    const stringOnly = op === 'LIKE' || op === 'MATCHES' || op === 'ISSUBSET' || op === 'ISSUPERSET';
    if (stringOnly && literal.kind !== 'string') throw this.error(`${op} needs a string literal`, tok);
    const ordered = op === '<' || op === '>' || op === '<=' || op === '>=';
    if (ordered && literal.kind === 'bool') throw this.error(`${op} cannot compare a boolean`, tok);
    return literal;
  }

  private setLiteral(): Literal {
    this.expectPunct('(', 'to open the IN set');
    const items: Literal[] = [];
    if (this.acceptPunct(')')) return { kind: 'set', items };
    do {
      const tok = this.next();
      const literal = tok.t === 'literal' ? tok.v : tok.t === 'word' ? boolOf(tok.v) : undefined;
      if (!literal) throw this.error(`expected a literal in the IN set, found ${describe(tok)}`, tok);
      items.push(literal);
    } while (this.acceptPunct(','));
    this.expectPunct(')', 'to close the IN set');
    return { kind: 'set', items };
  }

  private nested<T>(inner: () => T): T {
    if (++this.depth > MAX_DEPTH) throw this.error('pattern nested too deeply', this.peek());
    try {
      return inner();
    } finally {
      this.depth--;
    }
  }

  private peek(): Token {
    return this.tokens[this.i]!;
  }

  private next(): Token {
    const tok = this.tokens[this.i]!;
    if (tok.t !== 'eof') this.i++;
    return tok;
  }

  private peekPunct(v: string): boolean {
    const tok = this.peek();
    return tok.t === 'punct' && tok.v === v;
  }

  private acceptPunct(v: string): boolean {
    if (!this.peekPunct(v)) return false;
    this.i++;
    return true;
  }

  private expectPunct(v: string, why: string): void {
    const tok = this.peek();
    if (!this.acceptPunct(v)) {
      throw this.error(`expected '${v}' ${why} but found ${describe(tok)}`, tok);
    }
  }

  /** Keywords are upper case in the grammar; producers write them in lower case too. */
  private acceptWord(word: string): boolean {
    const tok = this.peek();
    if (tok.t !== 'word' || tok.v.toUpperCase() !== word) return false;
    this.i++;
    return true;
  }

  private error(message: string, tok: Token): PatternSyntaxError {
    return new PatternSyntaxError(message, tok.at);
  }
}

function boolOf(word: string): Literal | undefined {
  const lower = word.toLowerCase();
  return lower === 'true' || lower === 'false' ? { kind: 'bool', value: lower === 'true' } : undefined;
}

function describe(tok: Token): string {
  switch (tok.t) {
    case 'eof':
      return 'the end of the pattern';
    case 'literal':
      return `a ${tok.v.kind} literal`;
    default:
      return `'${tok.v}'`;
  }
}
