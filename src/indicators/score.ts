/**
 * First score of an indicator: the chance that at least one of its independent sources is
 * right, treating each source's confidence as a probability (a noisy-OR). One source at 80
 * scores 80; two at 80 score 96; a second source can only raise the score.
 */
export function combineConfidences(confidences: readonly number[]): number {
  let missProbability = 1;
  for (const c of confidences) missProbability *= 1 - Math.min(100, Math.max(0, c)) / 100;
  return Math.round((1 - missProbability) * 100);
}
