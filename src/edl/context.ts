import { FLAG_EXACT_ONLY } from '../match/compiled-set.js';
import type { Matcher } from '../match/matcher.js';
import { ipCarver } from './ip-lines.js';
import type { EdlListConfig } from './lists.js';
import type { RenderContext } from './render/types.js';

/** The render context of one list over one set version: allowlist lookups read once. */
export function renderContext(matcher: Matcher, list: EdlListConfig): RenderContext {
  const carve = ipCarver(matcher);
  let below: Map<string, Array<{ name: string; subdomains: boolean }>> | undefined;
  // Built on first use: only domain lists ask, and only once per version.
  const allowedBelow = () => (below ??= allowedNamesByAncestor(matcher));
  return {
    matcher,
    list,
    version: matcher.version,
    carve,
    allowedBelow: (name) => allowedBelow().has(name),
    allowedNamesBelow: (name) => allowedBelow().get(name) ?? [],
  };
}

/** Allowlisted names keyed by each of their proper ancestors (example.com for a.b.example.com). */
function allowedNamesByAncestor(matcher: Matcher): Map<string, Array<{ name: string; subdomains: boolean }>> {
  const out = new Map<string, Array<{ name: string; subdomains: boolean }>>();
  for (let e = 0; e < matcher.size; e++) {
    if (!matcher.entryAllowed(e) || matcher.entryType(e) !== 'domain') continue;
    const name = matcher.entryValue(e);
    const subdomains = (matcher.set.flags[e]! & FLAG_EXACT_ONLY) === 0;
    for (let dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.', dot + 1)) {
      const ancestor = name.slice(dot + 1);
      const list = out.get(ancestor) ?? [];
      list.push({ name, subdomains });
      out.set(ancestor, list);
    }
  }
  return out;
}
