import { HEADER_BYTES } from './wire.js';
import type { RecordRef } from './records.js';
import { TYPE_OPT } from './wire.js';

/** No answer is kept longer than this, whatever its TTL says. */
const MAX_TTL_SECONDS = 86_400;

interface CachedReply {
  reply: Buffer;
  storedAt: number;
  /** When it last moved to the recently used end. */
  touchedAt: number;
  expiresAt: number;
  records: RecordRef[];
  /** The set version under which this answer was inspected and found clean. */
  inspected?: number;
}

/**
 * Upstream answers by question, bounded in entries, kept as long as their TTLs say (negative
 * answers as long as their SOA says). An answer leaves with its own id and question bytes, and
 * its TTLs aged by the time it spent here, so a client never caches past the original expiry.
 */
export class AnswerCache {
  private readonly entries = new Map<string, CachedReply>();
  hits = 0;
  misses = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number = () => Date.now() / 1000,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * The cached reply for this question, rewritten for the asking client, with its records and
   * the set version it was last found clean under; undefined on a miss.
   */
  get(key: string, clientId: number, question: Uint8Array): { reply: Buffer; records: RecordRef[]; inspected?: number } | undefined {
    const entry = this.entries.get(key);
    const now = this.now();
    if (!entry || entry.expiresAt <= now || !sameQuestion(entry.reply, question)) {
      if (entry && entry.expiresAt <= now) this.entries.delete(key);
      this.misses++;
      return undefined;
    }
    // Most recently used last: Map keeps insertion order, so re-inserting moves it. Once a
    // second per entry is enough to keep a popular answer, and spares a hot entry the churn.
    if (now - entry.touchedAt >= 1) {
      entry.touchedAt = now;
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    this.hits++;
    const reply = Buffer.from(entry.reply);
    reply.writeUInt16BE(clientId, 0);
    reply.set(question, HEADER_BYTES);
    const aged = Math.floor(now - entry.storedAt);
    // OPT's TTL field holds flags, not a time.
    if (aged > 0) for (const r of entry.records) if (r.type !== TYPE_OPT) reply.writeUInt32BE(Math.max(0, r.ttl - aged), r.ttlAt);
    return entry.inspected === undefined ? { reply, records: entry.records } : { reply, records: entry.records, inspected: entry.inspected };
  }

  markInspected(key: string, version: number): void {
    const entry = this.entries.get(key);
    if (entry) entry.inspected = version;
  }

  put(key: string, reply: Buffer, records: readonly RecordRef[], ttl: number): void {
    if (this.maxEntries <= 0 || ttl <= 0) return;
    const now = this.now();
    this.entries.delete(key);
    this.entries.set(key, {
      reply: Buffer.from(reply),
      storedAt: now,
      touchedAt: now,
      expiresAt: now + Math.min(ttl, MAX_TTL_SECONDS),
      records: [...records],
    });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  clear(): void {
    this.entries.clear();
  }
}

/** Questions differing in name case share an entry; DO and CD change the answer, so they split it. */
export function cacheKey(name: string, qtype: number, qclass: number, dnssecOk: boolean, checkingDisabled: boolean): string {
  return `${name}\u0000${qtype}\u0000${qclass}\u0000${dnssecOk ? 1 : 0}${checkingDisabled ? 1 : 0}`;
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
