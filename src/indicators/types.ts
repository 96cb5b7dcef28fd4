/** The indicator types of DESIGN.md, in the order their numeric codes are assigned. */
export const INDICATOR_TYPES = [
  'ipv4',
  'ipv6',
  'cidr',
  'domain',
  'url',
  'md5',
  'sha1',
  'sha256',
] as const;

export type IndicatorType = (typeof INDICATOR_TYPES)[number];

/** Numeric code of a type, as stored in compiled sets. */
export const TYPE_CODE: Record<IndicatorType, number> = Object.fromEntries(
  INDICATOR_TYPES.map((t, i) => [t, i]),
) as Record<IndicatorType, number>;

export function isIndicatorType(value: string): value is IndicatorType {
  return (INDICATOR_TYPES as readonly string[]).includes(value);
}

/**
 * What a feed's `type` key may say: one concrete type, a family (`ip`, `hash`) or `auto`,
 * which detects the type of each value from its form.
 */
export type TypeHint = IndicatorType | 'ip' | 'hash' | 'auto';

export const TYPE_HINTS: readonly TypeHint[] = [...INDICATOR_TYPES, 'ip', 'hash', 'auto'];

/** A value in canonical form (see DESIGN.md, Indicators). */
export interface Canonical {
  type: IndicatorType;
  value: string;
}

/** What a list says about a value: enforce it, or never enforce it (exceptions, passthru). */
export type ObservationAction = 'block' | 'allow';

/**
 * One value as one feed reported it, already canonical. Many observations of the same
 * value (from several feeds) become one indicator.
 */
export interface Observation extends Canonical {
  action: ObservationAction;
  /** Where in the source it came from: 1-based line, or record number for JSON. */
  line?: number;
  /** Per-value confidence (0-100) where the format gives one; the feed's default otherwise. */
  confidence?: number;
  tags?: string[];
  /** Epoch seconds, where the format gives one. */
  firstSeen?: number;
  /** Set for RPZ-style entries that cover the name only, not names below it. */
  exactOnly?: boolean;
  /** The text as the feed wrote it, kept when it differs from `value` (refanged, retyped). */
  original?: string;
  context?: ThreatContext[];
  /** TLP marking as `clear`, `green`, `amber`, `amber+strict` or `red` (TLP 1.0 white is clear). */
  tlp?: string;
  /** Epoch seconds after which the source no longer vouches for the value (STIX valid_until). */
  validUntil?: number;
}

/**
 * A named threat object an indicator points at: the malware it indicates, the actor, the
 * campaign, the ATT&CK technique. From STIX relationships, MISP galaxies and tags.
 */
export interface ThreatContext {
  /** malware, threat-actor, intrusion-set, campaign, attack-pattern, tool, or a MISP galaxy type. */
  kind: string;
  name: string;
  /** ATT&CK ids (T1059.001, G0016, S0154) where known. */
  attack_ids?: string[];
}

/** A value a feed carried that could not be used, with the reason and where it was. */
export interface Rejection {
  line?: number;
  value: string;
  reason: string;
}

/** Stable key of a canonical value across all types. */
export function indicatorKey(c: Canonical): string {
  return `${c.type}:${c.value}`;
}
