import { Hono, type Context } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { AddressSet } from '../../match/cidr/address-set.js';
import type { Matcher } from '../../match/matcher.js';
import type { Verdict } from '../../match/verdict.js';
import type { ForwardAuthSettings, HttpDeps } from '../context.js';
import { settled } from '../../match/settle.js';
import { judgeAll, reasonFor, strongest, type Check, type Judged } from '../forward-auth/judge.js';
import { readAsked } from '../forward-auth/request.js';

/** The schema's defaults, for an app built without config (tests, embedders). */
const DEFAULT_CHECKS: Check[] = ['client', 'host', 'url'];
const DEFAULT_TRUSTED = ['127.0.0.1/32', '::1/128'];

/**
 * /v1/forward-auth for nginx auth_request, Traefik ForwardAuth and Caddy forward_auth: 200 lets
 * the request through, 403 refuses it; X-Sluice-Verdict and X-Sluice-Reason say why. Any
 * method is answered, as nginx's subrequest keeps the original request's method.
 */
export function forwardAuthRoutes(deps: HttpDeps): Hono {
  const settings: ForwardAuthSettings = deps.forwardAuth ?? { check: DEFAULT_CHECKS, trustedProxies: AddressSet.fromCidrs(DEFAULT_TRUSTED) };
  const checks = new Set(settings.check);
  const app = new Hono();

  app.all('/v1/forward-auth', async (c) => {
    const matcher = deps.holder.current;
    // Before the first set, allow, as DNS forwards everything then. Proxies treat a 5xx as a
    // refusal, so 503 here would take every protected site down on a first start without a
    // snapshot, for as long as the feeds stay out of reach. Whoever wants to fail closed can
    // gate on /readyz.
    if (!matcher) return answer(c, 'allow', 'no indicator set loaded yet');
    const asked = readAsked(peerOf(c), (name) => c.req.header(name), settings.trustedProxies);
    // An edge set first confirms what its filter may hold (a pass that counts nothing); the
    // counted pass below then answers from its cache.
    if (matcher.partial) await settled(matcher, () => judgeAll(matcher, undefined, checks, asked));
    const results = judgeAll(matcher, deps.metrics, checks, asked);
    const deciding = strongest(results);
    countHits(deps, matcher, results);
    if (deciding) {
      const { hit } = deciding.decision;
      deps.onHit?.({
        source: 'forward-auth',
        client: asked.client ?? '',
        value: deciding.value,
        type: matcher.entryType(hit!.entry),
        verdict: deciding.decision.verdict,
        indicator: matcher.entryValue(hit!.entry),
        feeds: matcher.entryFeeds(hit!.entry),
      });
    }
    return answer(c, deciding?.decision.verdict ?? 'allow', reasonFor(results, deciding));
  });

  return app;
}

function answer(c: Context, verdict: Verdict, reason: string): Response {
  const headers = {
    'X-Sluice-Verdict': verdict,
    'X-Sluice-Reason': reason,
    // The answer changes with every set; a proxy must ask again each time.
    'Cache-Control': 'no-store',
  };
  // Traefik and Caddy hand a refusal's body to the client; the reason stays in the header.
  return verdict === 'block' ? c.text('blocked by sluice\n', 403, headers) : c.body(null, 200, headers);
}

/**
 * Once per listed entry and request: with every check on, a listed host is found by the host
 * check and again by the URL check, and that is one hit, not two.
 */
function countHits(deps: HttpDeps, matcher: Matcher, results: readonly Judged[]): void {
  const counted = new Set<number>();
  for (const r of results) {
    if (!('decision' in r) || r.decision.verdict === 'allow' || counted.has(r.decision.hit!.entry)) continue;
    const entry = r.decision.hit!.entry;
    counted.add(entry);
    const type = matcher.entryType(entry);
    for (const feed of matcher.entryFeeds(entry)) deps.metrics.hits.inc({ feed, type });
  }
}

/** The socket peer; '' when the request did not come over a socket (in-process tests). */
function peerOf(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? '';
  } catch {
    return '';
  }
}
