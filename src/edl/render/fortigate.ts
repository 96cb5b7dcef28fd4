import { LIST_KINDS } from '../select.js';
import { lineDocument, valueLines } from './lines.js';
import type { ListFormat } from './types.js';

/**
 * FortiGate external threat feeds, one entry a line, one feed type per list:
 *  - IP address feed: an IPv4 or IPv6 address, range or subnet a line (we write aggregated
 *    networks);
 *  - domain name feed: a name a line, with simple wildcards, so `*.name` covers what lies below;
 *  - FortiGuard category (URL) feed: URLs with or without scheme (we write `host/path`, which
 *    matches both);
 *  - malware hash feed: `<hash> [description]` (we write the hash alone).
 * FortiOS counts lines it cannot read as error lines and skips them, so `#` notes are harmless.
 */
export const fortigateFormat: ListFormat = {
  contentType: 'text/plain; charset=utf-8',
  kinds: LIST_KINDS,
  pages: true,
  aggregateIps: true,
  withholdsWildcards: true,
  ipUnit: (cidr) => cidr,
  entryUnits: valueLines,
  document: (_ctx, page) => lineDocument(page),
};
