/** Beyond this many tracked clients, idle ones are forgotten, so a spoofed flood cannot grow memory. */
const MAX_TRACKED = 100_000;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per client address: `rate` queries a second on average, bursts of `burst`.
 * A rate of 0 turns it off.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now() / 1000,
  ) {}

  /** Takes one token for the client; false when it has none left. */
  allow(client: string): boolean {
    if (this.rate <= 0) return true;
    const now = this.now();
    let bucket = this.buckets.get(client);
    if (!bucket) {
      if (this.buckets.size >= MAX_TRACKED) this.forgetIdle(now);
      bucket = { tokens: this.burst, at: now };
      this.buckets.set(client, bucket);
    } else {
      bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * this.rate);
      bucket.at = now;
    }
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Drops buckets that have refilled completely: forgetting them changes nothing. */
  private forgetIdle(now: number): void {
    const full = this.burst / this.rate;
    for (const [client, bucket] of this.buckets) if (now - bucket.at >= full) this.buckets.delete(client);
    // Everyone is active (a flood from many addresses): start over rather than grow.
    if (this.buckets.size >= MAX_TRACKED) this.buckets.clear();
  }
}
