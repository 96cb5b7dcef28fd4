import { createHash } from 'node:crypto';
import type { Config } from '../config/load.js';
import { parseAllowlist, readAllowlistFile } from '../feeds/allowlist.js';
import { guardFromSettings } from '../guards/index.js';
import {
  buildIndicatorSet,
  matchValue,
  type AllowContribution,
  type EntryGuard,
  type FeedContribution,
  type HeldReport,
} from '../indicators/build.js';
import type { ListedSinceSeed } from '../indicators/observations.js';
import type { DecayModels } from '../indicators/score.js';
import type { Logger } from '../log.js';
import { imageToSet, setToImage, setToStoredImage } from '../match/codec.js';
import { edgeIndex } from '../match/edge/records.js';
import { compileSet } from '../match/compile.js';
import type { CompiledSet } from '../match/compiled-set.js';
import { Matcher } from '../match/matcher.js';
import type { Metrics } from '../metrics/registry.js';
import type { SetImage, SetStore } from '../store/types.js';

/** How often a version the store refused is offered again. */
const SAVE_RETRY_MS = 3_000;

export interface PublisherOptions {
  config: Config;
  store: SetStore;
  metrics: Metrics;
  logger: Logger;
  /**
   * Receives each new set. `handover` says the publisher is done with it, so its memory may be
   * taken (transferred to another thread); otherwise it must be copied if it is moved.
   */
  onSet: (set: CompiledSet, handover: boolean) => void;
  /** After each build: what the guards held back, per feed. */
  onHeld?: (held: Map<string, HeldReport>) => void;
  /** Whether the store took the last version (false) or cannot be reached (true). */
  onStoreState?: (degraded: boolean) => void;
  now?: () => number;
}

/**
 * Turns feed data into set versions, one at a time: read the allowlists, merge and score,
 * compile, persist, and hand the new version to the gateway. A persist failure (a full disk,
 * say) is reported and counted, and the new version is served all the same.
 */
export class Publisher {
  private chain: Promise<number | undefined> = Promise.resolve(undefined);
  private readonly allowlists = new Map<string, AllowContribution>();
  private readonly warned = new Map<string, string>();
  private readonly guard: EntryGuard;
  private lastVersion = 0;
  private servedDigest = '';
  private servedVersion: number | undefined;
  private pending: SetImage | undefined;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: PublisherOptions) {
    this.guard = guardFromSettings(opts.config);
  }

  /**
   * Publishes the snapshot the store holds, if any, so enforcement starts before any fetch.
   * Returns where each feed's first-seen times can be read from it.
   */
  async publishSnapshot(): Promise<((feed: string) => ListedSinceSeed) | undefined> {
    let set: CompiledSet;
    try {
      const image = await this.opts.store.loadLatest();
      if (!image) return undefined;
      set = imageToSet(image);
    } catch (err) {
      this.opts.metrics.storeErrors.inc({ operation: 'load' });
      this.opts.logger.warn({ err }, 'cannot load the saved set; starting without it');
      return undefined;
    }
    // Kept here for first-seen lookups while cached feeds load, so not handed over.
    const seed = firstSeenIn(set);
    this.servedDigest = contentDigest(set);
    this.servedVersion = set.meta.version;
    this.opts.onSet(set, false);
    this.opts.logger.info({ version: set.meta.version, entries: set.meta.entries }, 'serving saved set');
    return seed;
  }

  /**
   * Queues a rebuild from these contributions (and manual allow entries); resolves with the
   * new version, if one was made.
   */
  rebuild(feeds: FeedContribution[], manualAllows: AllowContribution[] = []): Promise<number | undefined> {
    this.chain = this.chain.then(
      () => this.build(feeds, manualAllows),
      () => this.build(feeds, manualAllows),
    );
    return this.chain;
  }

  /** The next build makes a new version even if its content is the one served (the store lost it). */
  forgetServed(): void {
    this.servedDigest = '';
  }

  private async build(feeds: FeedContribution[], manualAllows: AllowContribution[]): Promise<number | undefined> {
    if (feeds.length === 0 && manualAllows.length === 0 && this.opts.config.feeds.length > 0) return undefined;
    const started = performance.now();
    const allowlists = [...(await this.readAllowlists()), ...manualAllows];
    const version = await this.versionFor();
    const { set, expired, held } = buildIndicatorSet({
      version,
      now: Math.floor((this.opts.now?.() ?? Date.now()) / 1000),
      policy: this.opts.config.policy,
      feeds,
      allowlists,
      decay: decayModels(this.opts.config),
      guard: this.guard,
    });
    this.opts.onHeld?.(held);
    const compiled = compileSet(set);
    // The same content as the version being served (a restart, a feed that failed again, a
    // rescore that moved no score): no new version, so firewalls' ETags stay put.
    const digest = contentDigest(compiled);
    if (digest === this.servedDigest && this.servedVersion !== undefined) {
      this.opts.logger.debug({ version: this.servedVersion }, 'rebuilt set is unchanged; keeping the current version');
      return this.servedVersion;
    }
    this.servedDigest = digest;
    this.servedVersion = version;
    // Persisted before it is handed over: the gateway may take the set's memory with it.
    await this.persist(compiled);
    this.opts.onSet(compiled, true);
    this.opts.logger.info(
      { version, entries: set.entries.length, expired, held: sumHeld(held), ms: Math.round(performance.now() - started) },
      'new set version',
    );
    return version;
  }

  /**
   * The next version id from the store; while the store is unreachable, one past the last
   * version made here, so fetching and serving go on (the store catches up when it returns).
   */
  private async versionFor(): Promise<number> {
    try {
      this.lastVersion = Math.max(this.lastVersion + 1, await this.opts.store.nextVersion());
    } catch (err) {
      this.opts.onStoreState?.(true);
      this.lastVersion++;
      this.opts.logger.warn({ err: (err as Error).message, version: this.lastVersion }, 'store unreachable; numbering this version locally');
    }
    return this.lastVersion;
  }

  private async persist(set: CompiledSet): Promise<void> {
    const image = setToStoredImage(set);
    try {
      await this.opts.store.save(image);
      this.pending = undefined;
      this.opts.onStoreState?.(false);
    } catch (err) {
      this.opts.onStoreState?.(true);
      this.opts.metrics.storeErrors.inc({ operation: 'save' });
      this.opts.logger.error({ err: (err as Error).message }, 'cannot persist the new set; it is served from memory and saved again until the store takes it');
      // A copy: the set's own memory goes to the gateway thread next.
      const sections = Object.fromEntries(Object.entries(image.sections).map(([k, v]) => [k, v.slice()]));
      const copy: SetImage = { meta: image.meta, sections };
      copy.index = () => edgeIndex(imageToSet(copy));
      this.pending = copy;
      this.retryPending();
    }
  }

  /** Saves the newest unsaved version every few seconds until the store takes it. */
  private retryPending(): void {
    if (this.retryTimer) return;
    this.retryTimer = setInterval(() => {
      const image = this.pending;
      if (!image) {
        clearInterval(this.retryTimer);
        this.retryTimer = undefined;
        return;
      }
      this.opts.store.save(image).then(
        () => {
          if (this.pending === image) this.pending = undefined;
          this.opts.onStoreState?.(false);
          this.opts.logger.info({ version: image.meta.version }, 'store is back; the set is saved');
        },
        () => undefined,
      );
    }, SAVE_RETRY_MS);
    this.retryTimer.unref();
  }

  /** Every configured allowlist; one that cannot be read keeps its last good content. */
  private async readAllowlists(): Promise<AllowContribution[]> {
    const out: AllowContribution[] = [];
    for (const entry of this.opts.config.allowlist) {
      if ('value' in entry) {
        const report = parseAllowlist(entry.value);
        this.warnInvalid('allowlist:inline', report.invalid.count, report.invalid.examples);
        // An inline entry has no line of its own to point at.
        const observations = report.list.withoutLines();
        out.push({ list: 'allowlist:inline', observations, ...(entry.reason ? { reason: entry.reason } : {}) });
        continue;
      }
      const list = `allowlist:${entry.path}`;
      try {
        const report = await readAllowlistFile(entry.path);
        this.warnInvalid(list, report.invalid.count, report.invalid.examples);
        this.allowlists.set(list, { list, observations: report.list });
      } catch (err) {
        this.opts.logger.warn({ err: (err as Error).message, allowlist: entry.path }, 'cannot read allowlist; keeping its last content');
      }
      const kept = this.allowlists.get(list);
      if (kept) out.push(kept);
    }
    return out;
  }

  /** Warns about an allowlist's invalid lines once per content, not on every rebuild. */
  private warnInvalid(list: string, count: number, examples: unknown[]): void {
    const said = JSON.stringify([count, examples]);
    if (this.warned.get(list) === said) return;
    this.warned.set(list, said);
    if (count) this.opts.logger.warn({ allowlist: list, invalid: count, examples }, 'allowlist has invalid lines');
  }
}

/** First-seen times per feed in a loaded snapshot; indexed by value on first use. */
function firstSeenIn(set: CompiledSet): (feed: string) => ListedSinceSeed {
  const matcher = new Matcher(set);
  let index: Map<string, number> | undefined;
  return (feed) => (type, value) => {
    if (!index) {
      index = new Map();
      for (let i = 0; i < set.meta.entries; i++) {
        const entryType = matcher.entryType(i);
        index.set(`${entryType}:${matchValue({ type: entryType, value: matcher.entryValue(i) })}`, i);
      }
    }
    const entry = index.get(`${type}:${matchValue({ type, value })}`);
    if (entry === undefined || !matcher.entryFeeds(entry).includes(feed)) return undefined;
    return matcher.entryDetail(entry).sources.find((s) => s.feed === feed)?.firstSeen;
  };
}

function sumHeld(held: Map<string, HeldReport>): number {
  let total = 0;
  for (const report of held.values()) total += report.count;
  return total;
}

/** The config's ageing per type, in the seconds the score model counts in. */
export function decayModels(config: Config): DecayModels {
  const out = {} as DecayModels;
  for (const [type, model] of Object.entries(config.scoring.decay)) {
    out[type as keyof DecayModels] = { lifetime: model!.lifetime / 1000, speed: model!.speed };
  }
  return out;
}

/** A digest of what a set enforces and explains: every section, not the version or its time. */
function contentDigest(set: CompiledSet): string {
  const hash = createHash('sha256');
  const image = setToImage(set);
  for (const name of Object.keys(image.sections).sort()) {
    const bytes = image.sections[name]!;
    hash.update(name).update(bytes);
  }
  hash.update(JSON.stringify({ names: set.meta.names, feedSets: set.meta.feedSets, policy: set.meta.policy }));
  return hash.digest('hex');
}
