import type { EntryGuard } from '../indicators/build.js';
import { createGuard } from './guard.js';
import { BUNDLED_WARNINGLISTS, bundledPath, readWarninglist, type Warninglist, type WarninglistMode } from './warninglists.js';

export { BUNDLED_WARNINGLISTS } from './warninglists.js';
export { checkChange, type ChangeCheck } from './change.js';

/** The config keys the guards read (config.guards and config.warninglists). */
export interface GuardSettings {
  guards: { ipv4_min_prefix: number; ipv6_min_prefix: number; enforce_ranges: string[] };
  warninglists: Record<string, WarninglistMode | 'off' | { path: string; mode: WarninglistMode | 'off' }>;
}

/** Bundled lists are read once per process, however many sets are built. */
const bundledCache = new Map<string, Warninglist>();

/** The bundled warninglists in their default modes, overridden and extended by the config. */
export function loadWarninglists(settings: GuardSettings): Warninglist[] {
  const chosen: GuardSettings['warninglists'] = { ...BUNDLED_WARNINGLISTS, ...settings.warninglists };
  const lists: Warninglist[] = [];
  for (const [name, entry] of Object.entries(chosen)) {
    const mode = typeof entry === 'string' ? entry : entry.mode;
    if (mode === 'off') continue;
    if (typeof entry !== 'string') {
      lists.push(readWarninglist(entry.path, name, mode));
      continue;
    }
    let list = bundledCache.get(name);
    if (!list) bundledCache.set(name, (list = readWarninglist(bundledPath(name), name, 'allow', true)));
    lists.push({ ...list, mode });
  }
  return lists;
}

export function guardFromSettings(settings: GuardSettings): EntryGuard {
  return createGuard({
    ipv4MinPrefix: settings.guards.ipv4_min_prefix,
    ipv6MinPrefix: settings.guards.ipv6_min_prefix,
    enforceRanges: settings.guards.enforce_ranges,
    warninglists: loadWarninglists(settings),
  });
}
