import type { IndicatorType } from './types.js';

/**
 * The score model.
 *
 *   source score  = confidence × (1 − (age / lifetime) ^ (1 / speed))      (MISP's polynomial decay)
 *   score         = 100 × (1 − Π (1 − source score / 100))                 (corroboration, noisy-OR)
 *
 * A source's age is the time since it last listed the value. At age 0 it counts in full; at
 * its type's lifetime it counts nothing and the source has expired. Speed shapes the curve:
 * 1 is linear, above 1 loses most early, below 1 holds on and falls near the end. Independent
 * sources combine as independent opinions: one at 80 scores 80, two at 80 score 96.
 */
export interface DecayModel {
  /** Seconds after last seen at which a source no longer counts. */
  lifetime: number;
  speed: number;
}

export type DecayModels = Record<IndicatorType, DecayModel>;

const DAY = 86_400;

/** Defaults: addresses go stale fastest, file hashes stay true longest. */
export const DEFAULT_DECAY: DecayModels = {
  ipv4: { lifetime: 14 * DAY, speed: 1 },
  ipv6: { lifetime: 14 * DAY, speed: 1 },
  cidr: { lifetime: 30 * DAY, speed: 1 },
  domain: { lifetime: 30 * DAY, speed: 1 },
  url: { lifetime: 30 * DAY, speed: 1 },
  md5: { lifetime: 365 * DAY, speed: 0.5 },
  sha1: { lifetime: 365 * DAY, speed: 0.5 },
  sha256: { lifetime: 365 * DAY, speed: 0.5 },
};

/** The share (0 to 1) of its confidence a source still counts for at `age` seconds. */
export function decayFactor(age: number, model: DecayModel): number {
  if (age <= 0) return 1;
  if (age >= model.lifetime) return 0;
  return 1 - (age / model.lifetime) ** (1 / model.speed);
}

/** A source's contribution: its confidence, decayed by age; 0 once expired. */
export function sourceScore(confidence: number, age: number, model: DecayModel): number {
  return Math.min(100, Math.max(0, confidence)) * decayFactor(age, model);
}

/** Corroboration: the chance that at least one source is right, as a 0-100 score. */
export function combineScores(scores: readonly number[]): number {
  let missProbability = 1;
  for (const s of scores) missProbability *= 1 - Math.min(100, Math.max(0, s)) / 100;
  return Math.round((1 - missProbability) * 100);
}

/** One source's part in a score, as explain shows it. */
export interface SourcePart {
  feed: string;
  confidence: number;
  ageDays: number;
  /** The share of its confidence the source still counts for. */
  decay: number;
  score: number;
  /** Seconds until this source no longer counts. */
  expiresIn: number;
}

/** How a score came about: each source decayed by age, then combined. */
export function scoreParts(
  sources: ReadonlyArray<{ feed: string; confidence: number; lastSeen: number }>,
  model: DecayModel,
  now: number,
): { parts: SourcePart[]; combined: number } {
  const parts = sources.map((s) => {
    const age = Math.max(0, now - s.lastSeen);
    const decay = decayFactor(age, model);
    return {
      feed: s.feed,
      confidence: s.confidence,
      ageDays: Math.round((age / 86_400) * 10) / 10,
      decay: Math.round(decay * 1000) / 1000,
      score: Math.round(sourceScore(s.confidence, age, model) * 10) / 10,
      expiresIn: Math.max(0, model.lifetime - age),
    };
  });
  return { parts, combined: combineScores(parts.map((p) => p.score)) };
}
