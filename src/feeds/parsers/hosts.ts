import { parseAddress } from '../../indicators/normalize/index.js';
import { forEachLine, stripComment } from './lines.js';
import type { ParseReport } from './report.js';
import type { ParserOptions } from './types.js';

/** Names every hosts file carries for the machine itself; they are never indicators. */
const HOUSEKEEPING_NAMES = new Set([
  'localhost',
  'localhost.localdomain',
  'local',
  'broadcasthost',
  'ip6-localhost',
  'ip6-loopback',
  'ip6-localnet',
  'ip6-mcastprefix',
  'ip6-allnodes',
  'ip6-allrouters',
  'ip6-allhosts',
]);

/** `address name [name…]`: every name after the address is an indicator, whatever the address. */
export function parseHosts(text: string, _options: ParserOptions, report: ParseReport): void {
  forEachLine(text, (raw, lineNo) => parseHostsLine(raw, lineNo, report));
}

/** One hosts line; exported because adblock lists may carry hosts lines too. */
export function parseHostsLine(raw: string, lineNo: number, report: ParseReport): void {
  const line = stripComment(raw, '#').trim();
  if (line === '') return;
  const tokens = line.split(/\s+/);
  if (!isHostsAddress(tokens[0]!)) {
    report.reject(lineNo, line, 'hosts line does not start with an address');
    return;
  }
  if (tokens.length === 1) {
    report.reject(lineNo, line, 'hosts line has no name');
    return;
  }
  for (const name of tokens.slice(1)) {
    if (HOUSEKEEPING_NAMES.has(name.toLowerCase())) {
      report.skip(lineNo, name, 'hosts housekeeping name');
    } else if (parseAddress(name)) {
      report.skip(lineNo, name, 'address used as a name');
    } else {
      report.value(name, lineNo, 'domain');
    }
  }
}

/** The sink address may be anything, including a link-local one with a zone (fe80::1%lo0). */
export function isHostsAddress(token: string): boolean {
  const zone = token.indexOf('%');
  return parseAddress(zone < 0 ? token : token.slice(0, zone)) !== undefined;
}
