import { lineDocument } from './lines.js';
import type { ListFormat } from './types.js';

/**
 * A hosts file (Pi-hole, dnsmasq addn-hosts, /etc/hosts): `0.0.0.0 name` a line. A hosts file
 * has no wildcards, so a listed name blocks that name only, not the names below it.
 */
export const hostsFormat: ListFormat = {
  contentType: 'text/plain; charset=utf-8',
  kinds: ['domain'],
  pages: true,
  aggregateIps: false,
  withholdsWildcards: false,
  ipUnit: (cidr) => cidr,
  entryUnits: (_ctx, entry) => [`0.0.0.0 ${entry.value}`],
  document: (_ctx, page) => lineDocument(page),
};
