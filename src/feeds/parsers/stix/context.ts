import type { ThreatContext } from '../../../indicators/types.js';

/**
 * What a bundle says around an indicator: the named threat objects it is tied to by
 * relationships, with their ATT&CK ids, and its TLP marking.
 */

/** A STIX object as JSON, once checked to have a type and an id. */
export type StixObject = Record<string, unknown> & { type: string; id: string };

export type Tlp = 'clear' | 'green' | 'amber' | 'amber+strict' | 'red';

/** Least to most restrictive: where an object carries several, the strictest applies. */
const TLP_ORDER: readonly Tlp[] = ['clear', 'green', 'amber', 'amber+strict', 'red'];

/**
 * The marking definitions with ids fixed by the specs, which producers reference without
 * putting them in the bundle: TLP 1.0 (STIX 2.1 section 7.2.1.4) and the TLP 2.0 extension.
 */
const FIXED_TLP = new Map<string, Tlp>([
  ['marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9', 'clear'],
  ['marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da', 'green'],
  ['marking-definition--f88d31f6-486f-44da-b317-01333bde0b82', 'amber'],
  ['marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed', 'red'],
  ['marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487', 'clear'],
  ['marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb', 'green'],
  ['marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421', 'amber'],
  ['marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003', 'amber+strict'],
  ['marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1', 'red'],
]);

const TLP2_EXTENSION = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d';

/** Object types whose name means something to an analyst looking at a verdict. */
const CONTEXT_TYPES = new Set([
  'malware',
  'threat-actor',
  'intrusion-set',
  'campaign',
  'attack-pattern',
  'tool',
  'infrastructure',
]);

const ATTACK_SOURCES = new Set(['mitre-attack', 'mitre-mobile-attack', 'mitre-ics-attack']);

export interface BundleIndex {
  byId: Map<string, StixObject>;
  /**
   * The other end of every `indicates` and `based-on` relationship, by id, and the targets of
   * `attributed-to` by source: kept apart so that a malware indicated by 100 000 indicators
   * is not walked once per indicator.
   */
  indicated: Map<string, string[]>;
  attributedTo: Map<string, string[]>;
  tlpByMarking: Map<string, Tlp>;
}

/** Indexes the current version of every object. Revoked relationships tie nothing. */
export function indexBundle(objects: Iterable<StixObject>): BundleIndex {
  const index: BundleIndex = {
    byId: new Map(),
    indicated: new Map(),
    attributedTo: new Map(),
    tlpByMarking: new Map(),
  };
  for (const obj of objects) {
    index.byId.set(obj.id, obj);
    if (obj.type === 'relationship' && obj.revoked !== true) addRelationship(index, obj);
    const tlp = obj.type === 'marking-definition' ? tlpOfDefinition(obj) : undefined;
    if (tlp) index.tlpByMarking.set(obj.id, tlp);
  }
  return index;
}

function addRelationship(index: BundleIndex, rel: StixObject): void {
  const { relationship_type: type, source_ref: source, target_ref: target } = rel;
  if (typeof source !== 'string' || typeof target !== 'string') return;
  // Producers write based-on (and now and then indicates) in either direction.
  if (type === 'indicates' || type === 'based-on') {
    push(index.indicated, source, target);
    push(index.indicated, target, source);
  } else if (type === 'attributed-to') {
    push(index.attributedTo, source, target);
  }
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * The threat objects an indicator `indicates` or is `based-on`, plus the intrusion sets and
 * actors those are `attributed-to`: one hop, no further.
 */
export function contextOf(index: BundleIndex, indicatorId: string): ThreatContext[] {
  const direct = index.indicated.get(indicatorId) ?? [];
  const ids = [...direct];
  for (const id of direct) {
    if (!CONTEXT_TYPES.has(index.byId.get(id)?.type ?? '')) continue;
    for (const target of index.attributedTo.get(id) ?? []) {
      const type = index.byId.get(target)?.type;
      if (type === 'intrusion-set' || type === 'threat-actor') ids.push(target);
    }
  }
  return uniqueContext(ids.map((id) => threatContext(index.byId.get(id))));
}

function threatContext(obj: StixObject | undefined): ThreatContext | undefined {
  if (!obj || obj.revoked === true || !CONTEXT_TYPES.has(obj.type)) return undefined;
  if (typeof obj.name !== 'string' || obj.name.trim() === '') return undefined;
  const context: ThreatContext = { kind: obj.type, name: obj.name.trim() };
  const ids = attackIds(obj.external_references);
  if (ids.length) context.attack_ids = ids;
  return context;
}

/** T1059.001, S0154, G0016: ATT&CK's own references, not CAPEC or vendor ones. */
function attackIds(refs: unknown): string[] {
  if (!Array.isArray(refs)) return [];
  const ids = new Set<string>();
  for (const ref of refs as Array<Record<string, unknown> | null>) {
    if (!ref || typeof ref !== 'object' || !ATTACK_SOURCES.has(String(ref.source_name))) continue;
    if (typeof ref.external_id === 'string' && ref.external_id.trim()) ids.add(ref.external_id.trim());
  }
  return [...ids];
}

function uniqueContext(list: Array<ThreatContext | undefined>): ThreatContext[] {
  const seen = new Set<string>();
  const out: ThreatContext[] = [];
  for (const c of list) {
    if (!c || seen.has(`${c.kind}\0${c.name}`)) continue;
    seen.add(`${c.kind}\0${c.name}`);
    out.push(c);
  }
  return out;
}

/**
 * The strictest TLP among the indicator's own markings: `object_marking_refs`, and granular
 * markings that cover its `pattern` (the values come from nothing else).
 */
export function tlpOf(index: BundleIndex, indicator: StixObject): Tlp | undefined {
  const refs: unknown[] = [...list(indicator.object_marking_refs)];
  for (const g of list(indicator.granular_markings)) {
    const marking = g as { marking_ref?: unknown; selectors?: unknown } | null;
    if (list(marking?.selectors).includes('pattern')) refs.push(marking?.marking_ref);
  }

  let strictest = -1;
  for (const ref of refs) {
    if (typeof ref !== 'string') continue;
    const tlp = FIXED_TLP.get(ref) ?? index.tlpByMarking.get(ref);
    if (tlp) strictest = Math.max(strictest, TLP_ORDER.indexOf(tlp));
  }
  return strictest < 0 ? undefined : TLP_ORDER[strictest];
}

/** `definition_type: tlp` definitions (STIX 2.1), and TLP 2.0 extension ones named `TLP:RED`. */
function tlpOfDefinition(obj: StixObject): Tlp | undefined {
  // A fixed id means what the spec says, whatever a bundle's copy of it claims.
  if (FIXED_TLP.has(obj.id)) return FIXED_TLP.get(obj.id);
  if (obj.definition_type === 'tlp') {
    const definition = obj.definition as { tlp?: unknown } | undefined;
    return tlpFromName(definition?.tlp);
  }
  const extensions = obj.extensions;
  const tlp2 = extensions && typeof extensions === 'object' && TLP2_EXTENSION in extensions;
  return tlp2 ? tlpFromName(obj.name) : undefined;
}

function list(raw: unknown): unknown[] {
  return Array.isArray(raw) ? raw : [];
}

function tlpFromName(name: unknown): Tlp | undefined {
  if (typeof name !== 'string') return undefined;
  const level = name.trim().toLowerCase().replace(/^tlp:\s*/, '');
  if (level === 'white') return 'clear';
  return (TLP_ORDER as readonly string[]).includes(level) ? (level as Tlp) : undefined;
}
