import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { feedSchema, type FeedConfig } from '../../src/config/schema.js';
import { parseAllowlist } from '../../src/feeds/allowlist.js';
import { parseFeedBody } from '../../src/feeds/update.js';
import type { ParseReport } from '../../src/feeds/parsers/index.js';
import { buildIndicatorSet, type EntryGuard, type FeedContribution } from '../../src/indicators/build.js';
import { configSchema } from '../../src/config/schema.js';
import { guardFromSettings } from '../../src/guards/index.js';
import { compileSet } from '../../src/match/compile.js';
import { Matcher } from '../../src/match/matcher.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export function fixture(path: string): Buffer {
  return readFileSync(`${FIXTURES}${path}`);
}

/** A feed config with every default filled in, as the config loader would produce it. */
export function feedConfig(partial: Record<string, unknown>): FeedConfig {
  return feedSchema.parse({ name: 'test', url: '/dev/null', ...partial });
}

/** Parses a body exactly as a feed update does (sniff, decode, parser, error budget). */
export function parseBody(body: string | Buffer, partial: Record<string, unknown>): ParseReport {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return parseFeedBody(feedConfig(partial), buf, undefined, 0.5);
}

/** `type:value` of every observation, in order. */
export function keys(report: ParseReport): string[] {
  return report.observations.map((o) => `${o.type}:${o.value}`);
}

export interface TestFeed {
  name: string;
  body: string | Buffer;
  format: string;
  type?: string;
  confidence?: number;
  [key: string]: unknown;
}

/** The guard a default config gives: bundled warninglists, /8 and /32 floors, special-use ranges. */
export function defaultGuard(overrides: Record<string, unknown> = {}): EntryGuard {
  return guardFromSettings(configSchema.parse(overrides));
}

/**
 * A matcher over the given feeds and allowlist text, built the way the syncer builds one.
 * Pass a guard (defaultGuard()) to apply the blast-radius guards as the syncer does.
 */
export function matcherFor(
  feeds: TestFeed[],
  allowlist = '',
  policy = { block_at: 70, monitor_at: 40 },
  options: { guard?: EntryGuard } = {},
): Matcher {
  const now = 1_700_000_000;
  const contributions: FeedContribution[] = feeds.map((f) => {
    const { body, ...rest } = f;
    const config = feedConfig(rest);
    return { feed: f.name, confidence: config.confidence, action: config.action, listedAt: now, observations: parseBody(body, rest).list };
  });
  const allow = parseAllowlist(allowlist);
  const { set } = buildIndicatorSet({
    version: 1,
    now,
    policy,
    feeds: contributions,
    allowlists: allow.list.size ? [{ list: 'allowlist:test', observations: allow.list }] : [],
    ...(options.guard ? { guard: options.guard } : {}),
  });
  return new Matcher(compileSet(set));
}
