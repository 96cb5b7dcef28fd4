import { stat } from 'node:fs/promises';
import type { Config, FeedConfig } from '../config/load.js';
import { FeedCache } from '../feeds/cache.js';
import { ParseReport } from '../feeds/parsers/index.js';
import { FeedParseError } from '../errors.js';
import { loadCachedFeed, updateFeed, type FetchSettings } from '../feeds/update.js';
import { checkChange } from '../guards/index.js';
import type { AllowContribution, FeedContribution, HeldReport } from '../indicators/build.js';
import { overrideContributions } from '../overrides/contribute.js';
import { openOverrides, type OverrideStorage } from '../overrides/open.js';
import { liveOverrides, type Override } from '../overrides/store.js';
import { carryListedSince, type ListedSinceSeed, type ObservationList } from '../indicators/observations.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/registry.js';
import type { CompiledSet } from '../match/compiled-set.js';
import type { SetStore } from '../store/types.js';
import { initialStatus, type FeedStatus } from './feed-status.js';
import { Publisher } from './publisher.js';

/** How many feeds are fetched at once. */
const FETCH_CONCURRENCY = 4;
/** Updates that land within this window are folded into one new set version. */
const REBUILD_DEBOUNCE_MS = 250;
/** First retry of a feed whose update failed; doubled per further failure, up to its interval. */
const RETRY_FAILED_MS = 30_000;
/** How often allowlist files are checked for edits. */
const ALLOWLIST_CHECK_MS = 15_000;

/** A parsed update the change guard held back, waiting to be accepted or superseded. */
interface HeldUpdate {
  report: ParseReport;
  listedAt: number;
  origin: FeedStatus['origin'];
  keep: () => Promise<Error | undefined>;
}

/** The longest a timer may wait (setTimeout's limit); later expiries are caught by the rescore. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface FeedState {
  config: FeedConfig;
  status: FeedStatus;
  lastGood?: { observations: ObservationList; listedAt: number };
  held?: HeldUpdate;
  timer?: NodeJS.Timeout;
  running?: Promise<boolean>;
}

export interface SyncerOptions {
  config: Config;
  store: SetStore;
  metrics: Metrics;
  logger: Logger;
  /** Called with every new set version, first with the snapshot found at start (see Publisher). */
  onSet: (set: CompiledSet, handover: boolean) => void;
  /** Called whenever a feed's status changes. */
  onStatus?: (feeds: FeedStatus[]) => void;
  /** Whether the store took the last version (false) or cannot be reached (true). */
  onStoreState?: (degraded: boolean) => void;
  now?: () => number;
}

/**
 * Keeps every feed's last good data and turns it into set versions. Each feed is fetched on
 * its own interval; a failed fetch or a body that is not a feed changes nothing but the feed's
 * status and metrics, so the live set never shrinks because a source broke.
 */
export class Syncer {
  private readonly feeds = new Map<string, FeedState>();
  private readonly cache: FeedCache;
  private readonly publisher: Publisher;
  private readonly abort = new AbortController();
  private rebuildTimer: NodeJS.Timeout | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private allowlistStamp = '';
  private stopped = false;
  /** First-seen times from the saved set, for feeds loaded again after a restart. */
  private seed: ((feed: string) => ListedSinceSeed) | undefined;
  private readonly overrideFile: OverrideStorage;
  private overrides: Override[] = [];
  private expiryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: SyncerOptions) {
    this.cache = new FeedCache(opts.config.data_dir);
    this.overrideFile = openOverrides(opts.config);
    this.publisher = new Publisher({ ...opts, onHeld: (held) => this.showHeld(held) });
    for (const feed of opts.config.feeds.filter((f) => f.enabled)) {
      this.feeds.set(feed.name, { config: feed, status: initialStatus(feed) });
      // Every feed has its series from the start: a feed that never succeeded shows as
      // last success 0 (infinitely stale), so staleness alerts catch it too.
      opts.metrics.feedErrors.inc({ feed: feed.name }, 0);
      opts.metrics.feedLastSuccess.set({ feed: feed.name }, 0);
      opts.metrics.feedEntries.set({ feed: feed.name }, 0);
    }
  }

  private now(): number {
    return Math.floor((this.opts.now?.() ?? Date.now()) / 1000);
  }

  private get settings(): FetchSettings {
    return this.opts.config.sync;
  }

  /** Current status of every feed, in config order. */
  status(): FeedStatus[] {
    return [...this.feeds.values()].map((s) => structuredClone(s.status));
  }

  /** Loads what is on disk, then fetches and keeps every feed on its interval. */
  async start(): Promise<void> {
    await this.loadLocal();
    await this.run();
  }

  /**
   * Publishes what is already on disk, before any network: the last snapshot at once, then a
   * set rebuilt from every feed's last good body (which also applies config changes, such as
   * a feed removed since the snapshot was written).
   */
  async loadLocal(): Promise<void> {
    this.seed = await this.publisher.publishSnapshot();
    await this.loadOverrides();
    await this.loadCachedBodies();
    if (this.hasData()) await this.rebuildNow();
  }

  /** Fetches every feed once, publishes the result, then schedules each feed on its interval. */
  async run(): Promise<void> {
    // Every feed with data on disk has taken its first-seen times from the saved set by now.
    this.seed = undefined;
    await this.fetchAll();
    if (this.stopped) return;
    await this.rebuildNow();
    for (const state of this.feeds.values()) this.schedule(state);
    // Ageing goes on while feeds are quiet, and allowlist edits apply without a restart.
    this.every(this.opts.config.scoring.rescore_interval, () => this.requestRebuild());
    this.allowlistStamp = await this.stampAllowlists();
    this.every(ALLOWLIST_CHECK_MS, async () => {
      const stamp = await this.stampAllowlists();
      if (stamp !== this.allowlistStamp) this.requestRebuild();
      this.allowlistStamp = stamp;
      // Manual entries another process wrote (an admin API in front of a standby syncer).
      const before = JSON.stringify(this.overrides);
      await this.loadOverrides();
      if (JSON.stringify(this.overrides) !== before) this.requestRebuild();
    });
  }

  private every(ms: number, fn: () => unknown): void {
    const timer = setInterval(fn, ms);
    timer.unref();
    this.timers.push(timer);
  }

  /** Size and modification time of every allowlist file, as one string to compare. */
  private async stampAllowlists(): Promise<string> {
    const parts: string[] = [];
    for (const entry of this.opts.config.allowlist) {
      if (!('path' in entry)) continue;
      const info = await stat(entry.path).catch(() => undefined);
      parts.push(`${entry.path}:${info?.size ?? -1}:${info?.mtimeMs ?? -1}`);
    }
    return parts.join('|');
  }

  /** Fetches every feed once and writes one new version (`sluice sync --once`). */
  async runOnce(): Promise<{ version: number | undefined; failed: number }> {
    await this.loadOverrides();
    await this.loadCachedBodies();
    await this.fetchAll();
    const version = await this.rebuildNow();
    const failed = [...this.feeds.values()].filter((s) => s.status.state !== 'ok').length;
    return { version, failed };
  }

  /** Fetches one feed now, outside its schedule (admin "sync now"). */
  async syncFeed(name: string): Promise<boolean> {
    const state = this.feeds.get(name);
    if (!state) return false;
    // An operator asked for it: answer once the result is live, not a debounce later.
    if (await this.runFeed(state)) await this.rebuildNow();
    return true;
  }

  /**
   * Publishes a feed's held-back update after all (an operator looked at it). Resolves with
   * the new version, or undefined when the feed has no held update.
   */
  async acceptHeld(name: string): Promise<{ version: number | undefined; entries: number } | undefined> {
    const state = this.feeds.get(name);
    const held = state?.held;
    if (!state || !held) return undefined;
    this.accept(state, held.report, held.listedAt, held.origin);
    const err = await held.keep();
    if (err) this.log(state).warn({ err }, 'cannot keep the feed body in data_dir');
    this.log(state).warn({ entries: held.report.list.size }, 'held feed update accepted by an operator');
    this.changed();
    return { version: await this.rebuildNow(), entries: held.report.list.size };
  }

  /**
   * Writes the set again under a new version, whatever its content: the shared store lost what
   * was written (Redis restarted without persistence, or was flushed). Manual entries are read
   * first, which writes back those the store lost too.
   */
  async republish(): Promise<number | undefined> {
    if (!this.hasData()) return undefined;
    await this.loadOverrides();
    this.publisher.forgetServed();
    return this.rebuildNow();
  }

  /** Reads the manual entries again (after the admin API changed them) and publishes them. */
  async reloadOverrides(): Promise<number | undefined> {
    await this.loadOverrides();
    return this.rebuildNow();
  }

  private async loadOverrides(): Promise<void> {
    try {
      const loaded = await this.overrideFile.load();
      if (loaded.length === 0 && this.overrides.length > 0 && (await this.overrideFile.present?.()) === false) {
        // The record is gone, not emptied (Redis restarted empty, or was flushed): an operator's
        // entries stay in force and are written back.
        await this.overrideFile.save(this.overrides);
        this.opts.logger.warn({ entries: this.overrides.length }, 'manual entries were missing from the store; wrote back those in force');
      } else {
        this.overrides = loaded;
      }
    } catch (err) {
      // Keep the entries already in force: a damaged file must not drop an operator's blocks.
      this.opts.logger.error({ err: (err as Error).message }, 'cannot read manual entries; keeping those in force');
    }
    const live = liveOverrides(this.overrides, this.now());
    this.opts.metrics.overrides.set({ action: 'block' }, live.filter((o) => o.action === 'block').length);
    this.opts.metrics.overrides.set({ action: 'allow' }, live.filter((o) => o.action === 'allow').length);
    // An entry that expires takes effect when it does, not at the next rescore.
    clearTimeout(this.expiryTimer);
    const next = Math.min(...live.map((o) => o.expires ?? Infinity));
    if (Number.isFinite(next) && !this.stopped) {
      this.expiryTimer = setTimeout(() => void this.reloadOverrides(), Math.min(MAX_TIMER_MS, Math.max(0, next - this.now()) * 1000 + 50));
      this.expiryTimer.unref();
    }
  }

  private rebuildNow(): Promise<number | undefined> {
    return this.publisher.rebuild(this.contributions(), this.manualAllows());
  }

  private manualAllows(): AllowContribution[] {
    return overrideContributions(liveOverrides(this.overrides, this.now()), this.now()).allowlists;
  }

  /** Puts what the guards held back of each feed in its status and metrics. */
  private showHeld(held: Map<string, HeldReport>): void {
    for (const state of this.feeds.values()) {
      const report = held.get(state.config.name);
      state.status.quarantined = report ?? { count: 0, byGuard: {}, examples: [] };
      for (const guard of ['special-range', 'wide-prefix', 'warninglist', 'allowlist']) {
        this.opts.metrics.quarantined.set({ feed: state.config.name, guard }, report?.byGuard[guard] ?? 0);
      }
    }
    this.changed();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.overrideFile.close?.();
    this.abort.abort();
    clearTimeout(this.expiryTimer);
    clearTimeout(this.rebuildTimer);
    for (const timer of this.timers) clearInterval(timer);
    for (const state of this.feeds.values()) clearTimeout(state.timer);
    await Promise.allSettled([...this.feeds.values()].map((s) => s.running));
  }

  private hasData(): boolean {
    return [...this.feeds.values()].some((s) => s.lastGood) || this.overrides.length > 0;
  }

  private contributions(): FeedContribution[] {
    const out: FeedContribution[] = [];
    const manual = overrideContributions(liveOverrides(this.overrides, this.now()), this.now()).feed;
    if (manual) out.push(manual);
    for (const s of this.feeds.values()) {
      if (!s.lastGood) continue;
      out.push({
        feed: s.config.name,
        confidence: s.config.confidence,
        action: s.config.action,
        listedAt: s.lastGood.listedAt,
        observations: s.lastGood.observations,
      });
    }
    return out;
  }

  private async loadCachedBodies(): Promise<void> {
    for (const state of this.feeds.values()) {
      try {
        const cached = await loadCachedFeed(state.config, this.cache, this.settings);
        if (!cached) continue;
        this.accept(state, cached.report, cached.listedAt, 'cache');
      } catch (err) {
        this.log(state).warn({ err }, 'cached body of feed is unusable; waiting for a fetch');
      }
    }
    this.changed();
  }

  private changed(): void {
    this.opts.onStatus?.(this.status());
  }

  private async fetchAll(): Promise<void> {
    const queue = [...this.feeds.values()];
    const worker = async () => {
      for (let state = queue.shift(); state && !this.stopped; state = queue.shift()) await this.runFeed(state);
    };
    await Promise.all(Array.from({ length: FETCH_CONCURRENCY }, worker));
  }

  private schedule(state: FeedState): void {
    if (this.stopped) return;
    clearTimeout(state.timer);
    state.timer = setTimeout(async () => {
      if (await this.runFeed(state)) this.requestRebuild();
      this.schedule(state);
    }, this.nextDelay(state));
    state.timer.unref();
  }

  /**
   * A failing feed is tried again sooner than its interval: 30 s, doubling with each failure,
   * up to the interval. A gateway that booted before its uplink then picks its feeds up
   * within a minute of the network coming back, not an hour later.
   */
  private nextDelay(state: FeedState): number {
    const failures = state.status.consecutiveFailures;
    if (failures === 0) return state.config.interval;
    return Math.min(state.config.interval, RETRY_FAILED_MS * 2 ** Math.min(failures - 1, 20));
  }

  /**
   * One update of one feed; never throws: failures become status, metrics and one warning.
   * Resolves true when the feed's data changed, so a new set version is worth building.
   */
  private runFeed(state: FeedState): Promise<boolean> {
    state.running ??= this.updateOnce(state).finally(() => {
      state.running = undefined;
    });
    return state.running;
  }

  private async updateOnce(state: FeedState): Promise<boolean> {
    let changed = false;
    const now = this.now();
    state.status.lastAttempt = now;
    try {
      const result = await updateFeed(state.config, {
        cache: this.cache,
        settings: this.settings,
        holdsLastGood: state.lastGood !== undefined,
        signal: this.abort.signal,
        now,
      });
      const origin = /^https?:/i.test(state.config.url) ? 'network' : 'file';
      if (result.kind === 'unchanged') {
        this.confirm(state, now, origin);
      } else if (!this.holdIfDrastic(state, { report: result.report, listedAt: now, origin, keep: result.keep })) {
        this.accept(state, result.report, now, origin);
        const err = await result.keep();
        if (err) this.log(state).warn({ err }, 'cannot keep the feed body in data_dir');
        changed = true;
      }
    } catch (err) {
      if (this.stopped) return false;
      this.fail(state, err as Error);
    }
    this.changed();
    return changed;
  }

  /** The change guard: an update that changes the feed too much waits for an operator. */
  private holdIfDrastic(state: FeedState, update: HeldUpdate): boolean {
    const guards = this.opts.config.guards;
    const previous = state.lastGood?.observations.size ?? 0;
    const next = update.report.list.size;
    const check = checkChange(previous, next, guards.max_change, guards.change_min_entries);
    if (!check.held) return false;
    const fresh = state.held === undefined;
    state.held = update;
    const examples = Array.from({ length: Math.min(5, next) }, (_, i) => update.report.list.value(i));
    state.status.state = 'held';
    delete state.status.lastError;
    state.status.heldUpdate = { reason: check.reason!, entries: next, previous, at: update.listedAt, examples };
    this.opts.metrics.updatesHeld.inc({ feed: state.config.name });
    const fields = { reason: check.reason, previous, entries: next, serving: 'last good data' };
    if (fresh) this.log(state).warn(fields, 'feed update held back; accept it with POST /v1/feeds/{name}/accept');
    else this.log(state).debug(fields, 'feed update still held back');
    return true;
  }

  private accept(state: FeedState, report: ParseReport, listedAt: number, origin: FeedStatus['origin']): void {
    const recovered = state.status.state === 'failing';
    state.held = undefined;
    delete state.status.heldUpdate;
    const list = report.list;
    carryListedSince(list, state.lastGood?.observations, this.seed?.(state.config.name), listedAt);
    state.lastGood = { observations: list, listedAt };
    Object.assign(state.status, {
      state: 'ok',
      origin,
      entries: list.size,
      invalid: report.invalid,
      skipped: report.skipped,
      adjusted: report.adjusted,
      consecutiveFailures: 0,
    });
    // From the cache, the last success is when that body was last confirmed, before the restart.
    this.markSuccess(state, listedAt);
    const m = this.opts.metrics;
    m.feedEntries.set({ feed: state.config.name }, list.size);
    m.feedInvalid.set({ feed: state.config.name }, report.invalid.count);
    m.feedSkipped.set({ feed: state.config.name }, report.skipped.count);
    if (report.invalid.count) {
      this.log(state).debug({ invalid: report.invalid.count, reasons: report.invalid.reasons }, 'feed has invalid values');
    }
    if (recovered) this.log(state).info({ entries: list.size }, 'feed recovered');
  }

  /** A 304: the data held is still what the feed lists. */
  private confirm(state: FeedState, now: number, origin: FeedStatus['origin']): void {
    if (state.lastGood) state.lastGood = { ...state.lastGood, listedAt: now };
    // The feed lists what it listed before the held update: that update is moot.
    state.held = undefined;
    delete state.status.heldUpdate;
    const recovered = state.status.state === 'failing';
    Object.assign(state.status, { state: 'ok', origin, consecutiveFailures: 0 });
    this.markSuccess(state, now);
    if (recovered) this.log(state).info('feed recovered');
  }

  private markSuccess(state: FeedState, at: number): void {
    state.status.lastSuccess = at;
    delete state.status.lastError;
    this.opts.metrics.feedLastSuccess.set({ feed: state.config.name }, at);
  }

  private fail(state: FeedState, err: Error): void {
    const first = state.status.consecutiveFailures === 0;
    if (err instanceof FeedParseError && err.found instanceof ParseReport) {
      const found = err.found;
      Object.assign(state.status, { invalid: found.invalid, skipped: found.skipped, adjusted: found.adjusted });
      this.opts.metrics.feedInvalid.set({ feed: state.config.name }, found.invalid.count);
      this.opts.metrics.feedSkipped.set({ feed: state.config.name }, found.skipped.count);
    }
    state.status.consecutiveFailures++;
    state.status.lastError = err.message;
    state.status.state = 'failing';
    this.opts.metrics.feedErrors.inc({ feed: state.config.name });
    const fields = { err: err.message, serving: state.lastGood ? 'last good data' : 'nothing yet' };
    // One warning when a feed starts failing; repeats of the same failure are debug lines.
    if (first) this.log(state).warn(fields, 'feed update failed; keeping what was there');
    else this.log(state).debug({ ...fields, failures: state.status.consecutiveFailures }, 'feed still failing');
  }

  private requestRebuild(): void {
    if (this.stopped) return;
    clearTimeout(this.rebuildTimer);
    this.rebuildTimer = setTimeout(() => {
      void this.rebuildNow();
    }, REBUILD_DEBOUNCE_MS);
  }

  private log(state: FeedState): Logger {
    return this.opts.logger.child({ feed: state.config.name });
  }
}
