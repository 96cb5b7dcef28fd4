/** Whether one feed update changes the feed by more than the allowed share. */
export interface ChangeCheck {
  held: boolean;
  reason?: string;
}

/**
 * The change guard: a feed that drops from 1,000 entries to 3, or jumps from 1,000 to 90,000,
 * has most likely broken (a truncated export, a list swapped for another), not changed its
 * mind. Such an update waits for an operator. Feeds smaller than `minEntries` are not checked:
 * at that size a few lines are a large share.
 */
export function checkChange(previous: number, next: number, maxShare: number, minEntries: number): ChangeCheck {
  if (maxShare <= 0 || previous < minEntries || previous === 0) return { held: false };
  const share = (next - previous) / previous;
  if (Math.abs(share) <= maxShare) return { held: false };
  const percent = Math.round(Math.abs(share) * 100);
  const verb = share < 0 ? 'shrinks' : 'grows';
  return { held: true, reason: `update ${verb} the feed by ${percent}% (${previous} to ${next} entries), over the ${Math.round(maxShare * 100)}% limit` };
}
