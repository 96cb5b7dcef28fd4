import { getTaxii, shown, taxiiError } from './request.js';
import type { CollectContext } from '../types.js';

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/**
 * The API root to poll. The feed url is an API root, or a discovery endpoint (`…/taxii2/`):
 * then the API root named by taxii.api_root (which the server must list), else the server's
 * default, else the first it lists.
 */
export async function apiRootOf(ctx: CollectContext, headers: Record<string, string>): Promise<string> {
  const url = ctx.feed.url;
  if (!/\/taxii2\/?$/.test(new URL(url).pathname)) return withSlash(url);

  const { json } = await getTaxii(ctx, url, 'discovery', headers);
  const listed = Array.isArray(json.api_roots) ? json.api_roots.filter((r): r is string => typeof r === 'string') : [];
  const roots = listed.map((r) => withSlash(new URL(r, url).href));
  const wanted = ctx.feed.taxii!.api_root;
  let root: string | undefined;
  if (wanted !== undefined) {
    root = roots.find((r) => matches(r, wanted, url));
    if (!root) {
      throw taxiiError(ctx.feed, `TAXII discovery ${shown(url)}: API root ${JSON.stringify(wanted)} is not one the server lists (${roots.map(shown).join(', ') || 'none'})`);
    }
  } else {
    root = typeof json.default === 'string' ? withSlash(new URL(json.default, url).href) : roots[0];
    if (!root) throw taxiiError(ctx.feed, `TAXII discovery ${shown(url)}: the server lists no API root`);
  }
  // A discovery answer must not send the feed's credentials to a host the operator never named.
  if (headers.Authorization && new URL(root).origin !== new URL(url).origin && !/^https?:\/\//i.test(wanted ?? '')) {
    throw taxiiError(ctx.feed, `TAXII discovery ${shown(url)}: API root ${shown(root)} is on another host; name it in taxii.api_root to send credentials there`);
  }
  return root;
}

/** taxii.api_root as a URL, a path, or the last path segment (`api1`). */
function matches(root: string, wanted: string, discovery: string): boolean {
  if (!wanted.includes('/')) return new URL(root).pathname.split('/').filter(Boolean).at(-1) === wanted;
  return root === withSlash(new URL(wanted, discovery).href);
}
