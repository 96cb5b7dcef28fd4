/**
 * Turns nested networks into disjoint ranges, each answered by one entry, so a lookup is one
 * binary search. Networks never overlap partially: two CIDRs are disjoint or one holds the other.
 *
 *   10.0.0.0/8 (score 90)  ├──────────────────────────────┤
 *   10.1.0.0/16 (score 50)         ├──────┤
 *   result                 ├───────┼──────┼───────────────┤
 *                            /8       /8        /8          (the /8 scores higher)
 *
 * Inside a range the entry that answers is the strongest covering network: the highest score,
 * and on a tie the most specific, which is "longest prefix wins" whenever scores agree.
 */

export interface Network {
  start: bigint;
  end: bigint;
  entry: number;
  score: number;
}

export interface Range {
  start: bigint;
  end: bigint;
  entry: number;
}

interface Open extends Network {
  /** The network that answers inside this one, among it and everything enclosing it. */
  winner: Network;
}

export function flattenNetworks(networks: Network[]): Range[] {
  const sorted = [...networks].sort((a, b) =>
    a.start < b.start ? -1 : a.start > b.start ? 1 : a.end > b.end ? -1 : a.end < b.end ? 1 : 0,
  );
  const out: Range[] = [];
  const stack: Open[] = [];
  let cursor = sorted[0]?.start ?? 0n;

  const emit = (winner: Network, start: bigint, end: bigint) => {
    if (start > end) return;
    const last = out[out.length - 1];
    if (last && last.entry === winner.entry && last.end + 1n === start) last.end = end;
    else out.push({ start, end, entry: winner.entry });
  };
  const closeUntil = (limit: bigint | undefined) => {
    while (stack.length && (limit === undefined || stack[stack.length - 1]!.end < limit)) {
      const top = stack.pop()!;
      emit(top.winner, cursor, top.end);
      cursor = top.end + 1n;
    }
  };

  for (const net of sorted) {
    closeUntil(net.start);
    const parent = stack[stack.length - 1];
    if (parent) emit(parent.winner, cursor, net.start - 1n);
    if (parent && parent.start === net.start && parent.end === net.end) continue;
    cursor = net.start;
    const winner = parent && parent.winner.score > net.score ? parent.winner : net;
    stack.push({ ...net, winner });
  }
  closeUntil(undefined);
  return out;
}
