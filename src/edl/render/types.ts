import type { Matcher } from '../../match/matcher.js';
import type { CarvedPart } from '../ip-lines.js';
import type { EdlListConfig, ListEntry } from '../lists.js';
import type { ListKind } from '../select.js';

/** What every renderer may ask about the list and the set it is drawn from. */
export interface RenderContext {
  matcher: Matcher;
  list: EdlListConfig;
  version: number;
  /** A listed address or network with the allowlist carved out. */
  carve(value: string): CarvedPart[];
  /** Whether an allowlisted name lies below `name`, so `*.name` would block what is allowed. */
  allowedBelow(name: string): boolean;
  /** Allowlisted names below `name` (for RPZ passthru records), with whether they cover their subdomains. */
  allowedNamesBelow(name: string): Array<{ name: string; subdomains: boolean }>;
}

/** One page as a renderer wraps it. */
export interface PageText {
  /** `sluice list NAME, set version V` and, on a paged list, the page. */
  title: string;
  /** Units of this page: lines, set elements or records, as the format writes them. */
  units: string[];
  /** Why the list is shorter than it might be (a cap, withheld wildcards). */
  notes: string[];
  /** Lines repeated on every page and counted in no cap (RPZ passthru exceptions). */
  preamble: string[];
}

/** A list format. A unit is what the consuming firewall counts against its capacity. */
export interface ListFormat {
  contentType: string;
  /** The kinds of entry the format can carry; others in the list's types are left out. */
  kinds: readonly ListKind[];
  /** Whether page_size applies; formats that replace a whole set or zone on load ignore it. */
  pages: boolean;
  /** Whether IP entries become carved, aggregated networks written by ipUnit; else entryUnits writes them. */
  aggregateIps: boolean;
  /**
   * Whether `*.name` lines are left out where allowlisted names lie below (the list then says
   * how many); RPZ instead writes passthru records for the allowed names.
   */
  withholdsWildcards: boolean;
  ipUnit(cidr: string): string;
  entryUnits(ctx: RenderContext, entry: ListEntry): string[];
  preamble?(ctx: RenderContext, kept: readonly ListEntry[]): string[];
  document(ctx: RenderContext, page: PageText): string;
}

