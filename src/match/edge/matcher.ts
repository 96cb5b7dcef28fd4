import { INDICATOR_TYPES, TYPE_CODE, type IndicatorType } from '../../indicators/types.js';
import type { CanonicalUrl, ParsedAddress } from '../../indicators/normalize/index.js';
import { detailFromStored, type CompiledMeta, type EntryDetail } from '../compiled-set.js';
import type { Ipv4RangeArrays } from '../cidr/ipv4-ranges.js';
import type { Ipv6RangeArrays } from '../cidr/ipv6-ranges.js';
import { Matcher, type Hit } from '../matcher.js';
import type { EdgeRecord } from './records.js';

/** What an edge gateway does with a Bloom positive it cannot confirm (Redis away). */
export type UnconfirmedPolicy = 'block' | 'allow';

/** Where an edge matcher confirms keys: the version's records in Redis. */
export interface RecordSource {
  /** The record of each key, null where the version has none. Rejects when it cannot answer. */
  fetch(keys: string[]): Promise<Array<string | null>>;
}

export interface EdgeOptions {
  /** Keys (listed or not) remembered; listed ones each hold a slot. */
  cacheSize: number;
  unconfirmed: UnconfirmedPolicy;
  /** An unconfirmable key is asked again after this long. */
  retryMs?: number;
  onConfirm?: (result: 'listed' | 'absent' | 'error', count: number) => void;
  onUnconfirmed?: (policy: UnconfirmedPolicy) => void;
}

export interface EdgeParts {
  meta: CompiledMeta;
  bloomBits: Uint8Array;
  /** Range arrays whose entries index `pinned`. */
  block4: Ipv4RangeArrays;
  allow4: Ipv4RangeArrays;
  block6: Ipv6RangeArrays;
  allow6: Ipv6RangeArrays;
  pinned: EdgeRecord[];
}

const ABSENT = -1;
const INITIAL_SLOTS = 1024;
const UNCONFIRMED = -2;
const TYPES = INDICATOR_TYPES.length;

/**
 * A matcher for a gateway with little memory: the Bloom filter and the network ranges stay in
 * memory, entries do not. A Bloom negative (most lookups) is answered here in the same time as
 * a full set; a positive is confirmed in Redis once and then remembered in a bounded cache
 * (listed or not), so a popular name costs one round trip per version and gateway.
 *
 * Entry numbers are slots: the pinned network entries first, then one slot per type for keys
 * answered by the block policy and one for the allow policy, then the cache. A slot is reused only when the cache evicts,
 * which happens in `confirm`, never during the synchronous lookup that returned it.
 */
export class EdgeMatcher extends Matcher {
  private readonly cache = new Map<string, number>();
  private readonly retryAt = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly records: Array<EdgeRecord | undefined>;
  private readonly keys: string[];
  private readonly free: number[] = [];
  /** Keys a lookup in progress waits on or uses, with how many: never evicted. */
  private readonly held = new Map<string, number>();
  /** Slots evicted during this task: reused only from the next one, after every hit was read. */
  private cooling: number[] = [];
  private readonly pinnedCount: number;
  private readonly policySlots: number;
  /** The type the running lookup asks for, so a policy block has the right type. */
  private expect: number = TYPE_CODE.domain;

  constructor(
    parts: EdgeParts,
    private readonly source: RecordSource,
    private readonly options: EdgeOptions,
  ) {
    const pinned = parts.pinned.length;
    // Slots are added as the cache fills, up to cache_size (and past it only while keys of
    // lookups in progress need them): a large bound costs nothing until used.
    const capacity = Math.min(Math.max(1, options.cacheSize), INITIAL_SLOTS);
    const slots = pinned + 2 * TYPES + capacity;
    const types = new Uint8Array(slots);
    const flags = new Uint8Array(slots);
    const scores = new Uint8Array(slots);
    const feedSets = new Uint32Array(slots);
    super({
      meta: parts.meta,
      types,
      flags,
      scores,
      feedSets,
      table: { slots: new Uint32Array(1), hashes: new Uint32Array(0), offsets: new Uint32Array(1), bytes: new Uint8Array(0), skips: new Uint8Array(0) },
      detailOffsets: new Uint32Array(1),
      detailBytes: new Uint8Array(0),
      bloomBits: parts.bloomBits,
      block4: parts.block4,
      allow4: parts.allow4,
      block6: parts.block6,
      allow6: parts.allow6,
    });
    this.records = new Array<EdgeRecord | undefined>(slots);
    this.keys = new Array<string>(slots).fill('');
    this.pinnedCount = pinned;
    this.policySlots = pinned;
    parts.pinned.forEach((record, slot) => this.place(slot, record[5] ?? '', record));
    for (let t = 0; t < TYPES; t++) {
      // With no feed behind them, what each policy answers: scored to block, or to allow (a
      // match all the same, so the verdict can say why it is allowed).
      types[pinned + t] = t;
      scores[pinned + t] = 100;
      types[pinned + TYPES + t] = t;
      scores[pinned + TYPES + t] = 0;
    }
    for (let slot = slots - 1; slot >= pinned + 2 * TYPES; slot--) this.free.push(slot);
  }

  override get partial(): boolean {
    return true;
  }

  /** Keys remembered, listed or not. */
  get cached(): number {
    return this.cache.size;
  }

  protected override probe(text: string, from: number, h1: number, h2: number): number {
    if (!this.maybe(h1, h2)) return -1;
    const key = from === 0 ? text : text.slice(from);
    this.touched.push(key);
    const slot = this.cache.get(key);
    if (slot === undefined) {
      this.unconfirmed.push(key);
      return -1;
    }
    if (slot !== UNCONFIRMED) return slot;
    if (performance.now() >= this.retryAt.get(key)!) {
      this.forget(key);
      this.unconfirmed.push(key);
      return -1;
    }
    this.options.onUnconfirmed?.(this.options.unconfirmed);
    const policySlot = this.policySlots + (this.options.unconfirmed === 'allow' ? TYPES : 0) + this.expect;
    this.keys[policySlot] = key;
    return policySlot;
  }

  override lookupDomain(name: string): Hit | undefined {
    this.expect = TYPE_CODE.domain;
    return super.lookupDomain(name);
  }

  override lookupAddress(addr: ParsedAddress): Hit | undefined {
    this.expect = addr.family === 6 ? TYPE_CODE.ipv6 : TYPE_CODE.ipv4;
    return super.lookupAddress(addr);
  }

  override lookupUrl(url: CanonicalUrl, hostAddress: ParsedAddress | undefined): Hit | undefined {
    this.expect = TYPE_CODE.url;
    return super.lookupUrl(url, hostAddress);
  }

  override lookupHash(type: IndicatorType, hex: string): Hit | undefined {
    this.expect = TYPE_CODE[type];
    return super.lookupHash(type, hex);
  }

  /** Keeps keys from eviction until released, counted: several lookups may hold one key. */
  override hold(keys: readonly string[]): void {
    for (const key of keys) this.held.set(key, (this.held.get(key) ?? 0) + 1);
  }

  override release(keys: readonly string[]): void {
    for (const key of keys) {
      const n = this.held.get(key)! - 1;
      if (n > 0) this.held.set(key, n);
      else this.held.delete(key);
    }
    // Held keys may have pushed the cache past its bound for a moment: back within it.
    if (this.cache.size > this.options.cacheSize) {
      for (const key of this.cache.keys()) {
        if (this.cache.size <= this.options.cacheSize) break;
        if (!this.held.has(key)) this.forget(key);
      }
    }
  }

  /**
   * Fetches the records of keys not known yet, one round trip for all of them; keys another
   * lookup is already fetching are waited for, not asked twice. With `giveUp`, or when Redis
   * cannot answer, the keys are answered by the policy until `retryMs` has passed.
   */
  override async confirm(keys: string[], giveUp = false): Promise<void> {
    // The caller (settle) holds these keys, and every other key its lookup relies on.
    const waits: Array<Promise<void>> = [];
    const wanted: string[] = [];
    for (const key of new Set(keys)) {
      if (giveUp) this.markUnconfirmed(key);
      else if (this.inflight.has(key)) waits.push(this.inflight.get(key)!);
      else if (!this.cache.has(key)) wanted.push(key);
    }
    if (wanted.length) {
      const fetching = this.fetch(wanted);
      for (const key of wanted) this.inflight.set(key, fetching);
      waits.push(fetching);
    }
    await Promise.all(waits);
  }

  private async fetch(keys: string[]): Promise<void> {
    try {
      const found = await this.source.fetch(keys);
      let listed = 0;
      keys.forEach((key, i) => {
        const text = found[i];
        if (text) listed++;
        this.remember(key, text ? (JSON.parse(text) as EdgeRecord) : undefined);
      });
      this.options.onConfirm?.('listed', listed);
      this.options.onConfirm?.('absent', keys.length - listed);
    } catch {
      this.options.onConfirm?.('error', keys.length);
      for (const key of keys) this.markUnconfirmed(key);
    } finally {
      for (const key of keys) this.inflight.delete(key);
    }
  }

  private remember(key: string, record: EdgeRecord | undefined): void {
    this.makeRoom();
    if (!record) {
      this.cache.set(key, ABSENT);
      return;
    }
    const slot = this.free.pop()!;
    this.place(slot, key, record);
    this.cache.set(key, slot);
  }

  private markUnconfirmed(key: string): void {
    if (this.cache.has(key)) this.forget(key);
    this.makeRoom();
    this.cache.set(key, UNCONFIRMED);
    this.retryAt.set(key, performance.now() + (this.options.retryMs ?? 1000));
  }

  /**
   * Evicts the oldest keys no lookup holds until one more fits, then makes sure a slot is free:
   * adding slots while under the bound, or when every slot belongs to a held key.
   */
  private makeRoom(): void {
    if (this.cache.size >= this.options.cacheSize) {
      for (const key of this.cache.keys()) {
        if (this.held.has(key)) continue;
        this.forget(key);
        if (this.cache.size < this.options.cacheSize) break;
      }
    }
    if (this.free.length === 0) this.grow();
  }

  private forget(key: string): void {
    const slot = this.cache.get(key);
    this.cache.delete(key);
    this.retryAt.delete(key);
    if (slot !== undefined && slot >= 0) {
      this.records[slot] = undefined;
      if (this.cooling.length === 0) setImmediate(() => this.warm());
      this.cooling.push(slot);
    }
  }

  /** Slots evicted in an earlier task become free: no hit on them is still being read. */
  private warm(): void {
    this.free.push(...this.cooling);
    this.cooling = [];
  }

  /** Doubles the cache's slots (typed arrays cannot grow in place: copied into larger ones). */
  private grow(): void {
    const old = this.set.types.length;
    const size = old + Math.max(INITIAL_SLOTS, old - this.pinnedCount - 2 * TYPES);
    const widen = <T extends Uint8Array | Uint32Array>(a: T, make: (n: number) => T): T => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.set.types = widen(this.set.types, (n) => new Uint8Array(n));
    this.set.flags = widen(this.set.flags, (n) => new Uint8Array(n));
    this.set.scores = widen(this.set.scores, (n) => new Uint8Array(n));
    this.set.feedSets = widen(this.set.feedSets, (n) => new Uint32Array(n));
    this.records.length = size;
    for (let slot = size - 1; slot >= old; slot--) {
      this.keys[slot] = '';
      this.free.push(slot);
    }
  }

  private place(slot: number, key: string, record: EdgeRecord): void {
    const [type, flags, score, feedSet] = record;
    this.set.types[slot] = type;
    this.set.flags[slot] = flags;
    this.set.scores[slot] = score;
    this.set.feedSets[slot] = feedSet;
    this.records[slot] = record;
    this.keys[slot] = key;
  }

  override entryValue(entry: number): string {
    return this.records[entry]?.[5] ?? this.keys[entry]!;
  }

  override entryFeeds(entry: number): string[] {
    if (!this.records[entry]) return [];
    return super.entryFeeds(entry);
  }

  override entryDetail(entry: number): EntryDetail {
    const record = this.records[entry];
    if (record) return detailFromStored(record[4], this.set.meta.names);
    const policy = entry >= this.policySlots + TYPES ? 'allowed' : 'blocked';
    return {
      sources: [],
      allow: [],
      warnings: [{ guard: 'edge', detail: `possibly listed (Bloom filter) and not confirmable in Redis: ${policy} by redis.gateway.unconfirmed` }],
    };
  }

  /** Networks only, from the pinned entries; other values are found by lookups. */
  override findByValue(type: IndicatorType, value: string): number {
    if (type !== 'cidr') return -1;
    for (let slot = 0; slot < this.pinnedCount; slot++) if (this.records[slot]![5] === value) return slot;
    return -1;
  }

  /** What scans see: the pinned network entries. */
  override get size(): number {
    return this.pinnedCount;
  }
}

