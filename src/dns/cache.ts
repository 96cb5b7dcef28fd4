import { HEADER_BYTES } from './wire.js';
import type { RecordRef } from './records.js';
import { TYPE_OPT } from './wire.js';

/** No answer is kept longer than this, whatever its TTL says. */
const MAX_TTL_SECONDS = 86_400;

interface CachedReply {
  /** The rest of the question (`variantOf`); other variants of the name follow in `next`. */
  variant: number;
  next: CachedReply | undefined;
  reply: Buffer;
  storedAt: number;
  /** When it last moved to the recently used end. */
  touchedAt: number;
  expiresAt: number;
  records: RecordRef[];
  /** The set version under which this answer was inspected and found clean. */
  inspected?: number;
}

/** A cached answer as a client gets it, with its records and the version it was found clean under. */
export interface CachedAnswer {
  message: Buffer;
  records: RecordRef[];
  inspected: number | undefined;
}

/**
 * Upstream answers by question, bounded in entries, kept as long as their TTLs say (negative
 * answers as long as their SOA says). An answer leaves with its own id and question bytes, and
 * its TTLs aged by the time it spent here, so a client never caches past the original expiry.
 *
 * Entries are found by name, then by a number for the rest of the question (`variantOf`) in
 * a short chain: a key string joined per query cost more than the rest of a cached answer,
 * and every further table between the name and its answer cost a cache miss under load.
 */
export class AnswerCache {
  /** By name, least recently used first; each holds the chain of the name's variants. */
  private readonly byName = new Map<string, CachedReply>();
  private count = 0;
  hits = 0;
  misses = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = () => Date.now() / 1000,
  ) {}

  get size(): number {
    return this.count;
  }

  /**
   * The cached reply for this question, rewritten for the asking client, with its records and
   * the set version it was last found clean under; undefined on a miss.
   */
  get(name: string, variant: number, clientId: number, question: Uint8Array): CachedAnswer | undefined {
    const first = this.byName.get(name);
    const entry = variantIn(first, variant);
    if (!entry) {
      this.misses++;
      return undefined;
    }
    const now = this.now();
    if (entry.expiresAt <= now || !sameQuestion(entry.reply, question)) {
      if (entry.expiresAt <= now) this.remove(name, variant);
      this.misses++;
      return undefined;
    }
    // Most recently used last: Map keeps insertion order, so re-inserting moves it. Once a
    // second per entry is enough to keep a popular answer, and spares a hot entry the churn.
    if (now - entry.touchedAt >= 1) {
      entry.touchedAt = now;
      this.byName.delete(name);
      this.byName.set(name, first!);
    }
    this.hits++;
    const reply = Buffer.allocUnsafe(entry.reply.length);
    entry.reply.copy(reply);
    reply.writeUInt16BE(clientId, 0);
    reply.set(question, HEADER_BYTES);
    const aged = Math.floor(now - entry.storedAt);
    // OPT's TTL field holds flags, not a time.
    if (aged > 0) for (const r of entry.records) if (r.type !== TYPE_OPT) reply.writeUInt32BE(Math.max(0, r.ttl - aged), r.ttlAt);
    return { message: reply, records: entry.records, inspected: entry.inspected };
  }

  markInspected(name: string, variant: number, version: number): void {
    const entry = variantIn(this.byName.get(name), variant);
    if (entry) entry.inspected = version;
  }

  put(name: string, variant: number, reply: Buffer, records: readonly RecordRef[], ttl: number): void {
    if (this.maxEntries <= 0 || ttl <= 0) return;
    const now = this.now();
    // The name's other variants stay; this one replaces any older answer to the same question.
    const others = this.remove(name, variant);
    this.byName.delete(name); // to the recently used end
    this.byName.set(name, {
      variant,
      next: others,
      reply: Buffer.from(reply),
      storedAt: now,
      touchedAt: now,
      expiresAt: now + Math.min(ttl, MAX_TTL_SECONDS),
      records: [...records],
    });
    this.count++;
    // The least recently used name leaves whole, with all its variants.
    while (this.count > this.maxEntries) {
      const [oldest, chain] = this.byName.entries().next().value!;
      this.byName.delete(oldest);
      for (let e: CachedReply | undefined = chain; e; e = e.next) this.count--;
    }
  }

  clear(): void {
    this.byName.clear();
    this.count = 0;
  }

  /** Unlinks `variant` from the name's chain; the rest of the chain, which stays filed (or none). */
  private remove(name: string, variant: number): CachedReply | undefined {
    let first = this.byName.get(name);
    for (let e = first, before: CachedReply | undefined; e; before = e, e = e.next) {
      if (e.variant !== variant) continue;
      if (before) before.next = e.next;
      else first = e.next;
      this.count--;
      break;
    }
    if (first) this.byName.set(name, first);
    else this.byName.delete(name);
    return first;
  }
}

/** The entry for `variant` in a name's chain. */
function variantIn(first: CachedReply | undefined, variant: number): CachedReply | undefined {
  let entry = first;
  while (entry && entry.variant !== variant) entry = entry.next;
  return entry;
}

/**
 * The rest of a question past its name, as one number: type, class, and the DO and CD bits
 * (they change the answer, so they split the entry). Letter case in the name does not.
 */
export function variantOf(qtype: number, qclass: number, dnssecOk: boolean, checkingDisabled: boolean): number {
  return ((qclass * 65536 + qtype) * 2 + (dnssecOk ? 1 : 0)) * 2 + (checkingDisabled ? 1 : 0);
}

/** Whether the cached reply answers this question: the same bytes but for ASCII letter case. */
function sameQuestion(reply: Buffer, question: Uint8Array): boolean {
  if (reply.length < HEADER_BYTES + question.length) return false;
  for (let i = 0; i < question.length; i++) {
    let a = reply[HEADER_BYTES + i]!;
    let b = question[i]!;
    if (a >= 65 && a <= 90) a += 32;
    if (b >= 65 && b <= 90) b += 32;
    if (a !== b) return false;
  }
  return true;
}
