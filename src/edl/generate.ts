import type { Matcher } from '../match/matcher.js';
import { aggregate } from './aggregate.js';
import { renderContext } from './context.js';
import { capEntries, selectListEntries, type EdlListConfig, type ListEntry } from './lists.js';
import { FORMATS, type ListFormat, type RenderContext } from './render/index.js';

/** A named list rendered for one set version: every page, ready to serve. */
export interface GeneratedList {
  name: string;
  version: number;
  contentType: string;
  /** Bodies of pages 1..pages.length; always at least one. */
  pages: string[];
  /** Entries in the list (after the cap) and units written for them (lines, elements, records). */
  entries: number;
  units: number;
  /** Entries left out by max_entries. */
  cut: number;
  /** The body of any page number: past the last page, a valid page with no entries. */
  page(n: number): string;
}

/**
 * Renders a named list once: select, cap, carve and aggregate, page, wrap in the format.
 * `sluice export --list` and `/edl/{name}` both call this, so they give the same bytes.
 */
export function generateList(matcher: Matcher, list: EdlListConfig): GeneratedList {
  const format = FORMATS[list.format];
  const ctx = renderContext(matcher, list);
  const selected = selectListEntries(matcher, list, format.kinds);
  const { kept, cut } = capEntries(selected, list.max_entries, (e) => entryCost(ctx, format, e));
  const units = renderUnits(ctx, format, kept);
  const notes = listNotes(ctx, format, kept, cut);
  const preamble = format.preamble?.(ctx, kept) ?? [];

  const paged = format.pages && list.page_size > 0;
  const size = paged ? list.page_size : Math.max(units.length, 1);
  const count = Math.max(1, Math.ceil(units.length / size));
  const title = (n: number) => `sluice list ${list.name}, set version ${matcher.version}${paged ? `, page ${n} of ${count}` : ''}`;
  const render = (n: number, pageUnits: string[]) => format.document(ctx, { title: title(n), units: pageUnits, notes, preamble });
  const pages = Array.from({ length: count }, (_, i) => render(i + 1, units.slice(i * size, (i + 1) * size)));
  return {
    name: list.name,
    version: matcher.version,
    contentType: format.contentType,
    pages,
    entries: kept.length,
    units: units.length,
    cut,
    page: (n) => pages[n - 1] ?? render(n, []),
  };
}

/** Units one entry takes before aggregation: an upper bound, so a capped list never overflows. */
function entryCost(ctx: RenderContext, format: ListFormat, entry: ListEntry): number {
  if (entry.kind === 'ip' && format.aggregateIps) return ctx.carve(entry.value).length;
  return format.entryUnits(ctx, entry).length;
}

/** The list's units in order: IP networks (aggregated where the format does) first, then the rest. */
function renderUnits(ctx: RenderContext, format: ListFormat, kept: readonly ListEntry[]): string[] {
  const out: string[] = [];
  if (format.aggregateIps) {
    // A loop, not push(...all): a spread of a large list overflows the call stack.
    for (const cidr of aggregate(kept.filter((e) => e.kind === 'ip').flatMap((e) => ctx.carve(e.value)))) out.push(format.ipUnit(cidr));
  }
  const seen = new Set<string>();
  for (const entry of kept) {
    if (entry.kind === 'ip' && format.aggregateIps) continue;
    for (const unit of format.entryUnits(ctx, entry)) {
      // Two URLs that differ only in scheme are one line once the scheme is gone.
      if (seen.has(unit)) continue;
      seen.add(unit);
      out.push(unit);
    }
  }
  return out;
}

function listNotes(ctx: RenderContext, format: ListFormat, kept: readonly ListEntry[], cut: number): string[] {
  const notes: string[] = [];
  if (cut > 0) notes.push(`${cut} entries with the lowest scores cut to fit max_entries ${ctx.list.max_entries}`);
  if (format.withholdsWildcards) {
    const withheld = kept.filter((e) => e.kind === 'domain' && !e.exactOnly && ctx.allowedBelow(e.value)).length;
    if (withheld > 0) notes.push(`${withheld} names listed without their *. form: allowlisted names lie below them`);
  }
  return notes;
}
