/** TLP 2.0 levels from least to most restricted. RED is never shared. */
export const TLP_ORDER = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const;
export type Tlp = (typeof TLP_ORDER)[number];

/** The TLP 2.0 marking definitions (STIX 2.1 TLP extension): fixed ids every consumer knows. */
export const TLP_MARKINGS: Record<Tlp, { id: string; name: string }> = {
  clear: { id: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487', name: 'TLP:CLEAR' },
  green: { id: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb', name: 'TLP:GREEN' },
  amber: { id: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421', name: 'TLP:AMBER' },
  'amber+strict': { id: 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003', name: 'TLP:AMBER+STRICT' },
  red: { id: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1', name: 'TLP:RED' },
};

export function tlpRank(tlp: string | undefined): number {
  const i = TLP_ORDER.indexOf((tlp ?? 'clear') as Tlp);
  return i < 0 ? TLP_ORDER.length : i;
}

/**
 * The TLP an indicator may be shared under: the least restricted of its sources, since a value
 * one source published openly is open whatever another source said. A source without a
 * marking is a public feed: clear.
 */
export function entryTlp(sourceTlps: ReadonlyArray<string | undefined>): Tlp {
  let best = TLP_ORDER.length - 1;
  for (const t of sourceTlps) best = Math.min(best, tlpRank(t));
  return TLP_ORDER[sourceTlps.length ? best : 0]!;
}

/** Whether a holder cleared up to `ceiling` may receive something marked `tlp`. RED: never. */
export function mayShare(tlp: Tlp, ceiling: string): boolean {
  return tlp !== 'red' && tlpRank(tlp) <= tlpRank(ceiling);
}
