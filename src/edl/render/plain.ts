import { LIST_KINDS } from '../select.js';
import { lineDocument, valueLines } from './lines.js';
import type { ListFormat } from './types.js';

/**
 * PAN-OS external dynamic lists: one address, network, name or URL a line. IP lists are
 * aggregated (PAN-OS counts a network as one entry). Domain lists carry `name` and `*.name`,
 * URLs go without their scheme. PAN-OS skips lines it cannot read, so `#` notes cost nothing
 * but a line in its log.
 */
export const plainFormat: ListFormat = {
  contentType: 'text/plain; charset=utf-8',
  kinds: LIST_KINDS,
  pages: true,
  aggregateIps: true,
  withholdsWildcards: true,
  ipUnit: (cidr) => cidr,
  entryUnits: valueLines,
  document: (_ctx, page) => lineDocument(page),
};
