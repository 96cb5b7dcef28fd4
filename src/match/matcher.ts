import { ipv6ToWords } from '../indicators/address.js';
import type { CanonicalUrl, ParsedAddress } from '../indicators/normalize/index.js';
import { INDICATOR_TYPES, TYPE_CODE, type IndicatorType } from '../indicators/types.js';
import { bloomHasHashes } from './bloom/filter.js';
import { fmix32, H1_SEED, H2_SEED, hashPrimary, hashSecondary, stepPrimary, stepSecondary } from './bloom/hash.js';
import { findIpv4 } from './cidr/ipv4-ranges.js';
import { findIpv6 } from './cidr/ipv6-ranges.js';
import {
  decodeDetail,
  FLAG_ALLOW,
  FLAG_EXACT_ONLY,
  FLAG_HELD,
  FLAG_NO_BLOCK,
  FLAG_WARN,
  type CompiledSet,
  type EntryDetail,
} from './compiled-set.js';
import { StringTable } from './table/string-table.js';

/** How a match relates to the value asked about. */
export type MatchKind = 'exact' | 'parent' | 'cidr' | 'host';

/**
 * A lookup that found an entry; `allowed` means an allow entry decided it, `held` that the
 * only entry found is quarantined (reported, never enforced).
 */
export interface Hit {
  entry: number;
  kind: MatchKind;
  allowed: boolean;
  held?: boolean;
}

const DOMAIN = TYPE_CODE.domain;
const URL_TYPE = TYPE_CODE.url;

/**
 * Answers lookups against one compiled set version. Immutable: a new version gets a new
 * Matcher, swapped in whole, so a lookup never sees half of one version and half of another.
 *
 * Every string lookup asks the Bloom filter first; only a possible member costs a table probe.
 */
export class Matcher {
  readonly version: number;
  /**
   * Keys a lookup could not decide from memory alone: only an edge matcher, which keeps the
   * Bloom filter but not the entries, leaves any here. See `settle`.
   */
  readonly unconfirmed: string[] = [];
  /** Keys a lookup found possible in the Bloom filter, known or not (edge matchers only). */
  readonly touched: string[] = [];
  private readonly table: StringTable;
  private readonly bloomSize: number;
  private readonly bloomHashes: number;

  constructor(readonly set: CompiledSet) {
    this.version = set.meta.version;
    this.table = new StringTable(set.table);
    this.bloomSize = set.meta.bloom.size;
    this.bloomHashes = set.meta.bloom.hashes;
  }

  /** Whether the Bloom filter may hold the key with these hashes. */
  protected maybe(h1: number, h2: number): boolean {
    return bloomHasHashes(this.set.bloomBits, this.bloomSize, this.bloomHashes, h1, h2);
  }

  /** Entry of `text` from index `from` on, given that suffix's two hashes; -1 when absent. */
  protected probe(text: string, from: number, h1: number, h2: number): number {
    if (!this.maybe(h1, h2)) return -1;
    return this.table.find(text, from, h1);
  }

  /**
   * Brings the entries of keys left in `unconfirmed` within reach, and keeps them there until
   * the current task is over, so the lookup that asked can run again and use its hits;
   * nothing to do for a full set.
   */
  confirm(_keys: string[], _giveUp = false): Promise<void> {
    return Promise.resolve();
  }

  /** Keeps keys in reach until released (edge matchers; nothing to keep for a full set). */
  hold(_keys: readonly string[]): void {}

  release(_keys: readonly string[]): void {}

  /** False for a set held whole; true where lists and scans are not available. */
  get partial(): boolean {
    return false;
  }

  /** Entry of the exact string key, or -1. */
  private find(key: string): number {
    return this.probe(key, 0, hashPrimary(key), hashSecondary(key));
  }

  /**
   * A lower-case name without trailing dot: the name and each parent, most specific first.
   * An allow entry at any level wins at once; otherwise the strongest block entry (highest
   * score, then most specific) is the hit. Exact-only entries match their own name alone.
   */
  lookupDomain(name: string): Hit | undefined {
    const { types, flags, scores } = this.set;
    let best = -1;
    let bestKind: MatchKind = 'exact';
    let held = -1;
    let heldKind: MatchKind = 'exact';
    let a = H1_SEED;
    let b = H2_SEED;
    // Backwards over the name: at each label start the running hashes are those of the suffix
    // from there (com, then example.com, then www.example.com), so each parent costs one probe.
    for (let i = name.length - 1; i >= 0; i--) {
      const c = name.charCodeAt(i);
      a = stepPrimary(a, c);
      b = stepSecondary(b, c);
      if (i > 0 && name.charCodeAt(i - 1) !== 46) continue;

      const e = this.probe(name, i, fmix32(a), fmix32(b) | 1);
      if (e < 0 || types[e] !== DOMAIN) continue;
      const kind: MatchKind = i === 0 ? 'exact' : 'parent';
      if (flags[e]! & FLAG_ALLOW) return { entry: e, kind, allowed: true };
      if (flags[e]! & FLAG_HELD) {
        if (i === 0 || !(flags[e]! & FLAG_EXACT_ONLY)) [held, heldKind] = [e, kind];
        continue;
      }
      // Shorter names come first, so on equal scores the later, more specific entry wins.
      if ((i === 0 || !(flags[e]! & FLAG_EXACT_ONLY)) && (best < 0 || scores[e]! >= scores[best]!)) {
        best = e;
        bestKind = kind;
      }
    }
    if (best >= 0) return { entry: best, kind: bestKind, allowed: false };
    return held >= 0 ? { entry: held, kind: heldKind, allowed: false, held: true } : undefined;
  }

  /** An address: allow entries (exact, then networks) first, then the stronger of exact and network. */
  lookupAddress(addr: ParsedAddress): Hit | undefined {
    let exact = this.find(addr.text);
    if (exact >= 0 && this.set.flags[exact]! & FLAG_ALLOW) return { entry: exact, kind: 'exact', allowed: true };
    const held = exact >= 0 && this.set.flags[exact]! & FLAG_HELD ? exact : -1;
    if (held >= 0) exact = -1;

    const words = addr.family === 6 ? ipv6ToWords(addr.v6!) : undefined;
    const allowRange = words ? findIpv6(this.set.allow6, words) : findIpv4(this.set.allow4, addr.v4!);
    if (allowRange >= 0) return { entry: allowRange, kind: 'cidr', allowed: true };

    const range = words ? findIpv6(this.set.block6, words) : findIpv4(this.set.block4, addr.v4!);
    if (exact >= 0 && (range < 0 || this.set.scores[exact]! >= this.set.scores[range]!)) {
      return { entry: exact, kind: 'exact', allowed: false };
    }
    if (range >= 0) return { entry: range, kind: 'cidr', allowed: false };
    return held >= 0 ? { entry: held, kind: 'exact', allowed: false, held: true } : undefined;
  }

  /** A URL: the URL itself, then its host as a name or address; the stronger block wins. */
  lookupUrl(url: CanonicalUrl, hostAddress: ParsedAddress | undefined): Hit | undefined {
    const e = this.find(url.key);
    const own = e >= 0 && this.set.types[e] === URL_TYPE && !(this.set.flags[e]! & FLAG_HELD) ? e : -1;
    if (own >= 0 && this.set.flags[own]! & FLAG_ALLOW) return { entry: own, kind: 'exact', allowed: true };

    let host = hostAddress ? this.lookupAddress(hostAddress) : this.lookupDomain(url.host);
    if (host?.allowed) return { ...host, kind: 'host' };
    if (host?.held) {
      // A host held back by a guard (a top site, say) hides nothing listed at URL level.
      if (own >= 0) return { entry: own, kind: 'exact', allowed: false };
      return { ...host, kind: 'host' };
    }
    if (own >= 0 && (!host || this.set.scores[own]! >= this.set.scores[host.entry]!)) {
      return { entry: own, kind: 'exact', allowed: false };
    }
    return host ? { ...host, kind: 'host' } : undefined;
  }

  /** A lower-case hex hash of the given type. */
  lookupHash(type: IndicatorType, hex: string): Hit | undefined {
    const e = this.find(hex);
    if (e < 0 || this.set.types[e] !== TYPE_CODE[type]) return undefined;
    const flags = this.set.flags[e]!;
    const hit: Hit = { entry: e, kind: 'exact', allowed: (flags & FLAG_ALLOW) !== 0 };
    if (flags & FLAG_HELD) hit.held = true;
    return hit;
  }

  entryType(entry: number): IndicatorType {
    return INDICATOR_TYPES[this.set.types[entry]!]!;
  }

  entryValue(entry: number): string {
    const { offsets, bytes } = this.set.table;
    return Buffer.from(bytes.buffer, bytes.byteOffset + offsets[entry]!, offsets[entry + 1]! - offsets[entry]!).toString(
      'latin1',
    );
  }

  entryScore(entry: number): number {
    return this.set.scores[entry]!;
  }

  entryAllowed(entry: number): boolean {
    return (this.set.flags[entry]! & FLAG_ALLOW) !== 0;
  }

  /** Quarantined by a guard: never enforced, never in a list. */
  entryHeld(entry: number): boolean {
    return (this.set.flags[entry]! & FLAG_HELD) !== 0;
  }

  /** Listed only strongly enough by monitor-mode feeds: monitor at most. */
  entryMonitorOnly(entry: number): boolean {
    return (this.set.flags[entry]! & FLAG_NO_BLOCK) !== 0;
  }

  entryWarned(entry: number): boolean {
    return (this.set.flags[entry]! & FLAG_WARN) !== 0;
  }

  /** Every entry of a type, by scan: for explain on values the lookups do not index (networks). */
  findByValue(type: IndicatorType, value: string): number {
    const code = TYPE_CODE[type];
    for (let e = 0; e < this.set.meta.entries; e++) {
      if (this.set.types[e] === code && this.entryValue(e) === value) return e;
    }
    return -1;
  }

  /** Names of the feeds that list the entry. */
  entryFeeds(entry: number): string[] {
    const names = this.set.meta.names;
    return this.set.meta.feedSets[this.set.feedSets[entry]!]!.map((i) => names[i]!);
  }

  entryDetail(entry: number): EntryDetail {
    const { detailOffsets, detailBytes } = this.set;
    const start = detailOffsets[entry]!;
    const json = Buffer.from(detailBytes.buffer, detailBytes.byteOffset + start, detailOffsets[entry + 1]! - start)
      .toString('utf8');
    return decodeDetail(json, this.set.meta.names);
  }

  get size(): number {
    return this.set.meta.entries;
  }
}
