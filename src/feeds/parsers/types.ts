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

/** STIX bundles (format stix, and what a TAXII collection yields). */
export interface StixOptions {
  /** Indicators typed `benign` become allow entries. */
  benign_as_allow: boolean;
}

/** MISP events, feeds and restSearch answers. */
export interface MispOptions {
  /** Only attributes flagged to_ids are enforced (others are counted as skipped). */
  to_ids_only: boolean;
  /** feed: a folder with manifest.json; document: one JSON; auto: by the url's shape. */
  source?: 'auto' | 'feed' | 'document';
  /** Environment variable holding a MISP server's API key. */
  api_key_env?: string | undefined;
}

/** RPZ zones. */
export interface RpzOptions {
  /** Origin for relative owner names before any $ORIGIN line; the zone's first SOA otherwise. */
  origin?: string | undefined;
}

export interface ParserOptions {
  hint: TypeHint;
  csv: CsvOptions;
  json: JsonOptions;
  stix: StixOptions;
  misp: MispOptions;
  rpz: RpzOptions;
  /** Epoch seconds: when validity windows (valid_from, valid_until, revoked) are judged. */
  now: number;
}

/**
 * A parser reads one decoded body and reports every value through `report`. It throws
 * FeedParseError only when the source as a whole is broken (not JSON, no such column).
 */
export type Parser = (text: string, options: ParserOptions, report: ParseReport) => void;
