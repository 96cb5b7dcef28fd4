import type { Matcher } from './matcher.js';

/**
 * The matcher every lookup uses, replaced whole when a new set version arrives. A lookup
 * reads `current` once and uses that matcher to the end, so a swap in between cannot mix
 * versions; the old matcher is collected once no lookup holds it.
 */
export class MatcherHolder {
  private matcher: Matcher | undefined;
  private readonly listeners: Array<(m: Matcher) => void> = [];

  get current(): Matcher | undefined {
    return this.matcher;
  }

  /** True once a set has been loaded; until then nothing is enforced. */
  get ready(): boolean {
    return this.matcher !== undefined;
  }

  swap(next: Matcher): void {
    this.matcher = next;
    for (const listener of this.listeners) listener(next);
  }

  onSwap(listener: (m: Matcher) => void): void {
    this.listeners.push(listener);
  }
}
