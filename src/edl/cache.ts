import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type { Logger } from '../log.js';
import type { Matcher } from '../match/matcher.js';
import { generateList, type GeneratedList } from './generate.js';
import type { EdlListConfig } from './lists.js';

const gzip = promisify(gzipCallback);

/** One page as served: bytes, validator, and a gzip copy made on first request. */
export interface ServedPage {
  body: Buffer;
  etag: string;
  contentType: string;
  pages: number;
  cut: number;
  gzipped(): Promise<{ body: Buffer; etag: string }>;
}

interface Rendered {
  generated?: GeneratedList;
  error?: Error;
  pages: Map<number, ServedPage>;
}

/**
 * Named lists rendered once per set version, not per request: a fleet of firewalls pulling
 * every few minutes costs one render (and one gzip per page) per version. Holds the current
 * version only, so it is bounded by the configured lists and their pages; pages past the
 * last are built on request and not kept, since anyone may ask for page 10^9.
 */
export class ListCache {
  private version = -1;
  private readonly lists = new Map<string, Rendered>();
  private readonly warned = new Map<string, number>();

  constructor(private readonly logger: Logger) {}

  page(matcher: Matcher, list: EdlListConfig, n: number): ServedPage {
    if (matcher.version !== this.version) {
      this.lists.clear();
      this.version = matcher.version;
    }
    let rendered = this.lists.get(list.name);
    if (!rendered) {
      rendered = this.render(matcher, list);
      this.lists.set(list.name, rendered);
    }
    if (rendered.error) throw rendered.error;
    const generated = rendered.generated!;
    const cached = rendered.pages.get(n);
    if (cached) return cached;
    const page = servedPage(generated, n);
    if (n <= generated.pages.length) rendered.pages.set(n, page);
    return page;
  }

  private render(matcher: Matcher, list: EdlListConfig): Rendered {
    try {
      const generated = generateList(matcher, list);
      if (generated.cut > 0 && this.warned.get(list.name) !== matcher.version) {
        this.warned.set(list.name, matcher.version);
        this.logger.warn(
          { list: list.name, version: matcher.version, cut: generated.cut, max_entries: list.max_entries },
          `list ${list.name}: ${generated.cut} entries cut to fit max_entries ${list.max_entries}`,
        );
      }
      return { generated, pages: new Map() };
    } catch (err) {
      // Kept too, so a list that cannot render does not re-select every entry on each request.
      return { error: err as Error, pages: new Map() };
    }
  }
}

function servedPage(generated: GeneratedList, n: number): ServedPage {
  const body = Buffer.from(generated.page(n), 'utf8');
  const etag = `"${generated.version}-${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`;
  let compressed: Promise<{ body: Buffer; etag: string }> | undefined;
  return {
    body,
    etag,
    contentType: generated.contentType,
    pages: generated.pages.length,
    cut: generated.cut,
    // A gzip copy is another representation, so it gets its own validator.
    gzipped: () => (compressed ??= gzip(body).then((gz) => ({ body: gz, etag: `${etag.slice(0, -1)}-gz"` }))),
  };
}
