import { parse } from 'csv-parse/sync';
import { FeedParseError } from '../../errors.js';
import { hintFromLabel, readConfidence, readTags, readTimestamp } from './fields.js';
import type { ParseReport, ValueFacts } from './report.js';
import type { CsvOptions, ParserOptions } from './types.js';

type Row = { record: string[]; info: { lines: number } };

/**
 * CSV with the value in one column named by header or index; quoting, a chosen delimiter and
 * comment lines. abuse.ch writes its header as a comment (`# id,dateadded,url,…`); with a named
 * column that commented header is found and used.
 */
export function parseCsv(text: string, options: ParserOptions, report: ParseReport): void {
  const csv = options.csv;
  const rows = readRows(text, csv);
  const header = findHeader(text, rows, csv);
  const dataRows = header.fromRow ? rows.slice(1) : rows;
  const col = (ref: string | number | undefined) => resolveColumn(ref, header.names);

  const valueCol = col(csv.column)!;
  const layout = {
    type: col(csv.type_column),
    confidence: col(csv.confidence_column),
    firstSeen: col(csv.first_seen_column),
    end: col(csv.end_column),
    prefix: col(csv.prefix_column),
    tags: csv.tag_columns.map((c) => col(c)!),
  };

  for (const { record, info } of dataRows) {
    const raw = record[valueCol];
    if (raw === undefined || raw.trim() === '') {
      report.reject(info.lines, record.join(csv.delimiter), `no value in column ${csv.column}`);
      continue;
    }
    const hint = hintFromLabel(at(record, layout.type)) ?? options.hint;
    report.value(composeValue(raw, record, layout), info.lines, hint, factsOf(record, layout));
  }
}

function readRows(text: string, csv: CsvOptions): Row[] {
  try {
    return parse(text, {
      delimiter: csv.delimiter,
      quote: csv.quote,
      comment: csv.comment,
      comment_no_infix: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      trim: true,
      info: true,
    }) as unknown as Row[];
  } catch (err) {
    throw new FeedParseError(`not readable as CSV: ${(err as Error).message}`);
  }
}

interface Header {
  names: string[] | undefined;
  fromRow: boolean;
}

function findHeader(text: string, rows: Row[], csv: CsvOptions): Header {
  const named = [csv.column, csv.type_column, csv.confidence_column, csv.first_seen_column]
    .concat(csv.tag_columns)
    .filter((c): c is string => typeof c === 'string');
  if (csv.header === false) return { names: undefined, fromRow: false };

  const first = rows[0]?.record.map(cleanName);
  if (csv.header === true) return { names: first, fromRow: true };
  if (named.length === 0) {
    return looksLikeHeader(first) ? { names: first, fromRow: true } : { names: undefined, fromRow: false };
  }
  if (first && named.every((n) => first.includes(n))) return { names: first, fromRow: true };

  const commented = commentedHeader(text, csv, named);
  if (commented) return { names: commented, fromRow: false };
  // Name the column that is missing, not merely the first one asked for.
  const missing = named.find((n) => !first?.includes(n)) ?? named[0];
  throw new FeedParseError(`no header row names column ${JSON.stringify(missing)}`);
}

/** The last comment line before the data that, read as CSV, names every wanted column. */
function commentedHeader(text: string, csv: CsvOptions, named: string[]): string[] | undefined {
  let found: string[] | undefined;
  for (const line of text.split('\n', 200)) {
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (!trimmed.startsWith(csv.comment)) break;
    const body = trimmed.slice(csv.comment.length).trim();
    let cells: string[] | undefined;
    try {
      cells = (parse(body, { delimiter: csv.delimiter, quote: csv.quote, relax_quotes: true }) as string[][])[0];
    } catch {
      continue;
    }
    const names = cells?.map(cleanName);
    if (names && named.every((n) => names.includes(n))) found = names;
  }
  return found;
}

function cleanName(name: string): string {
  return name.trim().replace(/^\ufeff/, '');
}

/** A header of a headerless-by-default CSV: every cell a word, none a number or address. */
function looksLikeHeader(cells: string[] | undefined): boolean {
  return !!cells && cells.length > 0 && cells.every((c) => /^[A-Za-z_][A-Za-z0-9_ -]*$/.test(c));
}

function resolveColumn(ref: string | number | undefined, names: string[] | undefined): number | undefined {
  if (ref === undefined) return undefined;
  if (typeof ref === 'number') return ref;
  const index = names?.indexOf(ref) ?? -1;
  if (index < 0) throw new FeedParseError(`no column named ${JSON.stringify(ref)}`);
  return index;
}

interface Layout {
  type?: number;
  confidence?: number;
  firstSeen?: number;
  end?: number;
  prefix?: number;
  tags: number[];
}

function at(record: string[], index: number | undefined): string | undefined {
  return index === undefined ? undefined : record[index];
}

/** A start address with an end or prefix column is one network, not two unrelated hosts. */
function composeValue(raw: string, record: string[], layout: Layout): string {
  const end = at(record, layout.end)?.trim();
  if (end) return `${raw.trim()}-${end}`;
  const prefix = at(record, layout.prefix)?.trim();
  if (prefix) return `${raw.trim()}/${prefix}`;
  return raw;
}

function factsOf(record: string[], layout: Layout): ValueFacts {
  const facts: ValueFacts = {};
  const confidence = readConfidence(at(record, layout.confidence));
  if (confidence !== undefined) facts.confidence = confidence;
  const firstSeen = readTimestamp(at(record, layout.firstSeen));
  if (firstSeen !== undefined) facts.firstSeen = firstSeen;
  const tags = layout.tags.flatMap((i) => readTags(record[i]));
  if (tags.length) facts.tags = [...new Set(tags)];
  return facts;
}
