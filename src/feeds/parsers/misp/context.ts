import type { ThreatContext } from '../../../indicators/types.js';

/** What an event or an attribute says about its values beyond the values: tags, TLP, context. */
export interface Marking {
  tags: string[];
  tlp?: string;
  context: ThreatContext[];
}

export const NO_MARKING: Marking = { tags: [], context: [] };

/** Least to most restrictive: when a holder carries two TLP tags, the stricter one holds. */
const TLP_ORDER = ['clear', 'green', 'amber', 'amber+strict', 'red'];
const TLP_TAG = /^tlp:(white|clear|green|amber|amber\+strict|red)$/;

// ATT&CK ids: techniques (T1566.001), tactics, groups, software, mitigations, campaigns, data sources.
const ATTACK_ID = /^(?:T\d{4}(?:\.\d{3})?|TA\d{4}|[GSMC]\d{4}|DS\d{4})$/;
// Cluster values of the mitre galaxies end in their id: "Spearphishing Attachment - T1566.001".
const ID_SUFFIX = / - (T\d{4}(?:\.\d{3})?|TA\d{4}|[GSMC]\d{4}|DS\d{4})$/;
// Older mitre clusters carry no external_id, only their ATT&CK page among the refs.
const ATTACK_REF = /^https?:\/\/attack\.mitre\.org\/.*\/([A-Z]{1,2}\d{4}(?:[./]\d{3})?)\/?$/;
const GALAXY_TAG = /^misp-galaxy:([^=]+)="(.+)"$/;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The marking of an event or attribute, from its `Tag` and `Galaxy` lists. */
export function markingOf(holder: Json): Marking {
  const names = list(holder.Tag)
    .map((tag) => (isObject(tag) ? tag.name : tag))
    .filter((name): name is string => typeof name === 'string' && name.trim() !== '')
    .map((name) => name.trim());
  if (names.length === 0 && list(holder.Galaxy).length === 0) return NO_MARKING;

  const marking: Marking = { tags: [], context: [] };
  for (const name of names) {
    const tlp = TLP_TAG.exec(name.toLowerCase())?.[1];
    if (tlp) marking.tlp = stricter(marking.tlp, tlp === 'white' ? 'clear' : tlp);
    else if (!marking.tags.includes(name)) marking.tags.push(name);
  }
  for (const galaxy of list(holder.Galaxy)) {
    if (!isObject(galaxy)) continue;
    for (const cluster of list(galaxy.GalaxyCluster)) {
      if (!isObject(cluster)) continue;
      const kind = text(galaxy.type) ?? text(cluster.type);
      const name = text(cluster.value);
      if (kind && name) addContext(marking.context, clusterContext(kind, name, cluster));
    }
  }
  // The tag of a cluster the event also lists in full adds nothing; a tag alone still names it.
  for (const name of names) {
    const m = GALAXY_TAG.exec(name);
    if (m) addContext(marking.context, withIds({ kind: m[1]!, name: m[2]! }, idFromValue(m[2]!)));
  }
  return marking;
}

/** An attribute's marking over its event's: its TLP wins, tags and context add up. */
export function combine(event: Marking, attribute: Marking): Marking {
  if (attribute === NO_MARKING) return event;
  if (event === NO_MARKING) return attribute;
  const context = [...event.context];
  for (const c of attribute.context) addContext(context, c);
  const tlp = attribute.tlp ?? event.tlp;
  return {
    tags: [...new Set([...event.tags, ...attribute.tags])],
    context,
    ...(tlp !== undefined ? { tlp } : {}),
  };
}

function stricter(a: string | undefined, b: string): string {
  return a !== undefined && TLP_ORDER.indexOf(a) > TLP_ORDER.indexOf(b) ? a : b;
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

function addContext(into: ThreatContext[], c: ThreatContext): void {
  if (!into.some((o) => o.kind === c.kind && o.name === c.name)) into.push(c);
}

function withIds(c: ThreatContext, ids: string[]): ThreatContext {
  return ids.length ? { ...c, attack_ids: ids } : c;
}

function idFromValue(value: string): string[] {
  const m = ID_SUFFIX.exec(value);
  return m ? [m[1]!] : [];
}

function clusterContext(kind: string, name: string, cluster: Json): ThreatContext {
  const meta = isObject(cluster.meta) ? cluster.meta : {};
  const external = [meta.external_id].flat().filter((id): id is string => typeof id === 'string' && ATTACK_ID.test(id.trim()));
  let ids = external.map((id) => id.trim());
  if (!ids.length) ids = idFromValue(name);
  if (!ids.length && kind.startsWith('mitre-')) {
    ids = list(meta.refs)
      .map((ref) => (typeof ref === 'string' ? ATTACK_REF.exec(ref.trim())?.[1]?.replace('/', '.') : undefined))
      .filter((id): id is string => id !== undefined && ATTACK_ID.test(id));
  }
  return withIds({ kind, name }, [...new Set(ids)]);
}
