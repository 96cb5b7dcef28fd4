import { parseAdblock } from './adblock.js';
import { parseCsv } from './csv.js';
import { parseHosts } from './hosts.js';
import { parseJson } from './json.js';
import { parseMisp } from './misp/index.js';
import { parseRpz } from './rpz.js';
import { parseStix } from './stix/index.js';
import { parseText } from './text.js';
import type { Parser } from './types.js';
import { FEED_FORMATS, type FeedFormat } from '../../config/feed-formats.js';

export { ParseReport, MAX_EXAMPLES, type Tally, type ValueFacts } from './report.js';
export { decodeText } from './lines.js';
export type { CsvOptions, JsonOptions, MispOptions, ParserOptions, Parser, RpzOptions, StixOptions } from './types.js';

/** Every format a feed may name (the config's list), and the parser that reads it. */
export const PARSERS: Record<FeedFormat, Parser> = {
  text: parseText,
  hosts: parseHosts,
  adblock: parseAdblock,
  csv: parseCsv,
  json: parseJson,
  stix: parseStix,
  // A TAXII collection is gathered into one STIX bundle (feeds/collect/taxii.ts).
  taxii: parseStix,
  misp: parseMisp,
  rpz: parseRpz,
};

export { FEED_FORMATS, type FeedFormat };
