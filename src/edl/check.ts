import type { EdlListConfig } from './lists.js';
import { FORMATS } from './render/index.js';
import { IPSET_SUFFIX } from './render/ipset.js';
import { LIST_KINDS } from './select.js';

/** ipset refuses names longer than this. */
const IPSET_MAX_NAME = 31;
const LABEL = /^[A-Za-z0-9_-]{1,63}$/;

/**
 * What keeps a list from being rendered at all. The schema cannot see these (they depend on
 * the format), so they are checked here; a list with a problem answers 503 naming it rather
 * than serving a file its consumer would refuse.
 */
export function listProblems(list: EdlListConfig): string[] {
  const out: string[] = [];
  if (list.format === 'ipset' && list.set_name.length + IPSET_SUFFIX.length > IPSET_MAX_NAME) {
    out.push(`list ${list.name}: set_name ${list.set_name} is too long for ipset (at most ${IPSET_MAX_NAME - IPSET_SUFFIX.length} characters, as ${list.set_name}${IPSET_SUFFIX} must fit in ${IPSET_MAX_NAME})`);
  }
  if (list.format === 'rpz') {
    const labels = list.zone.replace(/\.$/, '').split('.');
    if (list.zone.replace(/\.$/, '') === '' || !labels.every((l) => LABEL.test(l)) || list.zone.length > 200) {
      out.push(`list ${list.name}: zone ${JSON.stringify(list.zone)} is not a usable zone name (letters, digits, _ and - in dot-separated labels)`);
    }
  }
  return out;
}

/** Things worth a warning at start: the list works, but not quite as its config may suggest. */
export function listWarnings(lists: readonly EdlListConfig[], reserved: readonly string[] = []): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const list of lists) {
    const format = FORMATS[list.format];
    if (seen.has(list.name)) out.push(`list ${list.name}: named twice in edl:; only the first is served`);
    seen.add(list.name);
    if (reserved.includes(list.name)) out.push(`list ${list.name}: the name is taken by the built-in /edl/${list.name}; this list is not served there`);
    const dropped = list.types.filter((t) => !format.kinds.includes(t));
    if (dropped.length > 0) {
      const carried = LIST_KINDS.filter((k) => format.kinds.includes(k)).join(', ');
      out.push(`list ${list.name}: format ${list.format} carries ${carried} only; its ${dropped.join(', ')} entries are left out`);
    }
    if (list.page_size > 0 && !format.pages) {
      out.push(`list ${list.name}: page_size is ignored for format ${list.format}, which replaces a whole set or zone on each load`);
    }
  }
  return out;
}
