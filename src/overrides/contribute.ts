import { ParseReport } from '../feeds/parsers/index.js';
import { MANUAL_FEED, type AllowContribution, type FeedContribution } from '../indicators/build.js';
import type { Override } from './store.js';

/** Manual entries as the set builder takes them: blocks as one full-confidence feed, allows as allowlists. */
export function overrideContributions(entries: readonly Override[], now: number): { feed?: FeedContribution; allowlists: AllowContribution[] } {
  const blocks = new ParseReport();
  const allowlists: AllowContribution[] = [];
  for (const entry of entries) {
    if (entry.action === 'block') {
      blocks.value(entry.value, undefined, entry.type, { tags: ['manual'], firstSeen: entry.created });
      continue;
    }
    const report = new ParseReport();
    report.value(entry.value, undefined, entry.type, { action: 'allow' });
    allowlists.push({ list: MANUAL_FEED, reason: `${entry.reason} (by ${entry.by})`, observations: report.list.seal() });
  }
  const feed: FeedContribution | undefined = blocks.list.size
    ? { feed: MANUAL_FEED, confidence: 100, listedAt: now, observations: blocks.list.seal() }
    : undefined;
  return feed ? { feed, allowlists } : { allowlists };
}
