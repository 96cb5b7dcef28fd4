import type { TypeHint } from '../../indicators/types.js';
import type { ParseReport } from './report.js';

/** CSV layout of a feed. Columns are named by header or by 0-based index. */
export interface CsvOptions {
  column: string | number;
  delimiter: string;
  quote: string;
  comment: string;
  /** `auto`: a named column implies a header row (which may be a comment line, as abuse.ch writes it). */
  header: 'auto' | boolean;
  type_column?: string | number;
  confidence_column?: string | number;
  tag_columns: Array<string | number>;
  first_seen_column?: string | number;
  /** With a start address in `column`: the end of an address range, or its prefix length. */
  end_column?: string | number;
  prefix_column?: string | number;
}

/** Where the values sit in a JSON document; dotted paths, `*` for every element. */
export interface JsonOptions {
  path: string[];
  field?: string;
  type_field?: string;
  confidence_field?: string;
  tag_fields: string[];
  first_seen_field?: string;
}

export interface ParserOptions {
  hint: TypeHint;
  csv: CsvOptions;
  json: JsonOptions;
}

/**
 * A parser reads one decoded body and reports every value through `report`. It throws
 * FeedParseError only when the source as a whole is broken (not JSON, no such column).
 */
export type Parser = (text: string, options: ParserOptions, report: ParseReport) => void;
