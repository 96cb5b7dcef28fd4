import type { Matcher } from '../match/matcher.js';
import type { ListKind } from './select.js';

export const LIST_FORMATS = ['plain'] as const;
export type ListFormat = (typeof LIST_FORMATS)[number];

/**
 * Renders selected entries, one a line. A list with no entries is a comment line, never an
 * empty body: firewalls treat an empty download as a failure or, worse, as "remove all".
 */
export function renderList(matcher: Matcher, lines: readonly string[], kind: ListKind, _format: ListFormat): string {
  if (lines.length === 0) return `# sluice ${kind} list, set version ${matcher.version}: no entries\n`;
  return `${lines.join('\n')}\n`;
}
