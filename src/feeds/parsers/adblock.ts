import type { ObservationAction } from '../../indicators/types.js';
import { isHostsAddress, parseHostsLine } from './hosts.js';
import { forEachLine } from './lines.js';
import type { ParseReport } from './report.js';
import type { ParserOptions } from './types.js';

/**
 * Modifiers that do not narrow a rule: with them the rule still means "this host, always".
 * Every other modifier ($third-party, $domain=, $script…) narrows it to something a DNS or IP
 * gateway cannot see, so enforcing the host would block more than the list asked.
 */
const HARMLESS_MODIFIERS = new Set(['important', 'all', 'document', 'doc', 'ipaddress']);

const COSMETIC = /#[@?$%]?#|#@\$#|#@%#|\$\$|#\+js/;
const PLAIN_HOST = /^[A-Za-z0-9_.:[\]-]+$/;

/**
 * Adblock/AdGuard syntax, keeping only rules a DNS and IP gateway can honour exactly:
 * `||host^` (block the host and below), `@@||host^` (exception), `||host/path` (a URL),
 * bare host lines and hosts-file lines (AdGuard Home reads both). Cosmetic rules, path
 * patterns, wildcards and narrowing modifiers are counted as skipped, never widened to a host.
 */
export function parseAdblock(text: string, _options: ParserOptions, report: ParseReport): void {
  forEachLine(text, (raw, lineNo) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('!') || line.startsWith('[')) return;
    if (line === '#' || line.startsWith('# ')) return;
    parseRule(line, lineNo, report);
  });
}

function parseRule(line: string, lineNo: number, report: ParseReport): void {
  if (COSMETIC.test(line)) return report.skip(lineNo, line, 'cosmetic rule');

  const action: ObservationAction = line.startsWith('@@') ? 'allow' : 'block';
  let rule = action === 'allow' ? line.slice(2) : line;

  const dollar = rule.lastIndexOf('$');
  if (dollar > 0 && !rule.slice(dollar).includes('/')) {
    const unsupported = rule
      .slice(dollar + 1)
      .split(',')
      .find((m) => !HARMLESS_MODIFIERS.has(m.trim().toLowerCase()));
    if (unsupported !== undefined) {
      return report.skip(lineNo, line, `modifier $${unsupported} is not enforceable here`);
    }
    rule = rule.slice(0, dollar);
  }

  if (rule.startsWith('||')) return hostRule(rule.slice(2), line, lineNo, action, report);
  if (rule.startsWith('|') && rule.includes('://')) {
    return urlRule(rule.replace(/^\||\|$/g, ''), line, lineNo, action, report);
  }
  const tokens = rule.split(/\s+/);
  if (tokens.length > 1 && isHostsAddress(tokens[0]!)) return parseHostsLine(rule, lineNo, report);
  if (PLAIN_HOST.test(rule)) {
    report.value(rule, lineNo, 'domain', { action });
    return;
  }
  report.skip(lineNo, line, 'pattern rule is not a host or URL');
}

function hostRule(
  body: string,
  line: string,
  lineNo: number,
  action: ObservationAction,
  report: ParseReport,
): void {
  const pattern = body.replace(/\^\|?$/, '').replace(/\|$/, '');
  if (pattern.includes('*') || pattern.includes('^')) {
    return report.skip(lineNo, line, 'wildcard rule is not a single host');
  }
  if (pattern.includes('/') || pattern.includes('?')) {
    return urlRule(pattern, line, lineNo, action, report);
  }
  report.value(pattern, lineNo, 'domain', { action });
}

function urlRule(
  url: string,
  line: string,
  lineNo: number,
  action: ObservationAction,
  report: ParseReport,
): void {
  const cleaned = url.replace(/\^$/, '');
  if (cleaned.includes('*') || cleaned.includes('^')) {
    return report.skip(lineNo, line, 'wildcard rule is not a single URL');
  }
  report.value(cleaned, lineNo, 'url', { action });
}
