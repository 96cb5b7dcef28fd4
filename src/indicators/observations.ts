import {
  INDICATOR_TYPES,
  TYPE_CODE,
  type Canonical,
  type IndicatorType,
  type Observation,
  type ObservationAction,
  type ThreatContext,
} from './types.js';

/** What a few values carry beyond type, value and line; stored sparsely. */
interface Extras {
  confidence?: number;
  tags?: string[];
  firstSeen?: number;
  original?: string;
  context?: ThreatContext[];
  tlp?: string;
  validUntil?: number;
}

const FLAG_ALLOW = 1;
const FLAG_EXACT_ONLY = 2;
const INITIAL_CAPACITY = 1024;

/**
 * Every value one feed update produced, stored by column: a feed's last good data is kept for
 * as long as the feed is configured, and a million values as a million objects cost several
 * times the memory and make every garbage collection walk them. Extras that only some formats
 * give (confidence, tags, first-seen, original text) sit in a sparse map.
 *
 * `listedSince` is filled by the syncer: when this feed first listed each value, carried over
 * from its previous update.
 */
export class ObservationList {
  private types = new Uint8Array(INITIAL_CAPACITY);
  private flags = new Uint8Array(INITIAL_CAPACITY);
  private lines = new Int32Array(INITIAL_CAPACITY);
  private readonly values: string[] = [];
  private readonly extras = new Map<number, Extras>();
  listedSince: Float64Array | undefined;

  get size(): number {
    return this.values.length;
  }

  push(obs: Observation): void {
    const i = this.values.length;
    if (i === this.types.length) this.grow();
    this.types[i] = TYPE_CODE[obs.type];
    this.flags[i] = (obs.action === 'allow' ? FLAG_ALLOW : 0) | (obs.exactOnly ? FLAG_EXACT_ONLY : 0);
    this.lines[i] = obs.line ?? 0;
    this.values.push(obs.value);
    const extra: Extras = {};
    if (obs.confidence !== undefined) extra.confidence = obs.confidence;
    if (obs.tags) extra.tags = obs.tags;
    if (obs.firstSeen !== undefined) extra.firstSeen = obs.firstSeen;
    if (obs.original !== undefined) extra.original = obs.original;
    if (obs.context?.length) extra.context = obs.context;
    if (obs.tlp !== undefined) extra.tlp = obs.tlp;
    if (obs.validUntil !== undefined) extra.validUntil = obs.validUntil;
    for (const _ in extra) {
      this.extras.set(i, extra);
      break;
    }
  }

  private grow(): void {
    const size = this.types.length * 2;
    const types = new Uint8Array(size);
    const flags = new Uint8Array(size);
    const lines = new Int32Array(size);
    types.set(this.types);
    flags.set(this.flags);
    lines.set(this.lines);
    this.types = types;
    this.flags = flags;
    this.lines = lines;
  }

  /** Drops the spare capacity once a parse is complete; the list is kept for a long time. */
  seal(): this {
    const n = this.size;
    this.types = this.types.slice(0, n);
    this.flags = this.flags.slice(0, n);
    this.lines = this.lines.slice(0, n);
    return this;
  }

  type(i: number): IndicatorType {
    return INDICATOR_TYPES[this.types[i]!]!;
  }

  value(i: number): string {
    return this.values[i]!;
  }

  canonical(i: number): Canonical {
    return { type: this.type(i), value: this.values[i]! };
  }

  action(i: number): ObservationAction {
    return this.flags[i]! & FLAG_ALLOW ? 'allow' : 'block';
  }

  exactOnly(i: number): boolean {
    return (this.flags[i]! & FLAG_EXACT_ONLY) !== 0;
  }

  line(i: number): number | undefined {
    return this.lines[i] === 0 ? undefined : this.lines[i];
  }

  extra(i: number): Readonly<Extras> | undefined {
    return this.extras.get(i);
  }

  /** One entry as an object, for tests and the rare caller that wants one. */
  get(i: number): Observation {
    const obs: Observation = { type: this.type(i), value: this.values[i]!, action: this.action(i) };
    const line = this.line(i);
    if (line !== undefined) obs.line = line;
    if (this.exactOnly(i)) obs.exactOnly = true;
    Object.assign(obs, this.extras.get(i));
    return obs;
  }

  toArray(): Observation[] {
    return Array.from({ length: this.size }, (_, i) => this.get(i));
  }

  /** The same entries without line numbers (inline config entries have none to point at). */
  withoutLines(): ObservationList {
    const copy = new ObservationList();
    for (let i = 0; i < this.size; i++) {
      const { line: _line, ...obs } = this.get(i);
      copy.push(obs);
    }
    return copy.seal();
  }
}

/** When a feed first listed a value, from earlier state (a saved set) where there is no list. */
export type ListedSinceSeed = (type: IndicatorType, value: string) => number | undefined;

/**
 * Fills `next.listedSince`: for each value, when this feed first listed it. Values the previous
 * update also had keep their time; others take the seed's (a saved set, after a restart) or
 * `now`. This is what makes first-seen survive from version to version and across restarts.
 */
export function carryListedSince(
  next: ObservationList,
  previous: ObservationList | undefined,
  seed: ListedSinceSeed | undefined,
  now: number,
): void {
  const before = new Map<number, Map<string, number>>();
  if (previous?.listedSince) {
    for (let i = 0; i < previous.size; i++) {
      const code = TYPE_CODE[previous.type(i)];
      let byValue = before.get(code);
      if (!byValue) before.set(code, (byValue = new Map()));
      byValue.set(previous.value(i), previous.listedSince[i]!);
    }
  }
  const since = new Float64Array(next.size);
  for (let i = 0; i < next.size; i++) {
    const type = next.type(i);
    const value = next.value(i);
    since[i] = before.get(TYPE_CODE[type])?.get(value) ?? seed?.(type, value) ?? now;
  }
  next.listedSince = since;
}
