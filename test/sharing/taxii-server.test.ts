// sluice's TAXII 2.1 server, read back by sluice's own TAXII client and STIX parser (round
// trip), with TLP ceilings per token.
import t from 'tap';
import { Hono } from 'hono';
import { serve } from '@hono/node-server';
import { silentLogger } from '../helpers/quiet.js';
import { keys, matcherFor, parseBody } from '../helpers/feeds.js';
import { collectContext, bundleObjects } from '../helpers/taxii-server.js';
import { collectTaxii } from '../../src/feeds/collect/taxii.js';
import { TokenAuth } from '../../src/http/auth.js';
import { errorHandler } from '../../src/http/middleware/errors.js';
import { taxiiRoutes } from '../../src/http/routes/taxii.js';
import { AddressSet } from '../../src/match/cidr/address-set.js';
import { MatcherHolder } from '../../src/match/holder.js';
import { Metrics } from '../../src/metrics/registry.js';

const GREEN = 'partner-green-token-000000';
const AMBER = 'partner-amber-token-000000';

/** A MISP event whose attributes carry TLP tags, as a feed with markings delivers them. */
const EVENT = JSON.stringify({
  Event: {
    info: 'tlp sample',
    Attribute: [
      { type: 'domain', value: 'open.example.com', to_ids: true, Tag: [{ name: 'tlp:clear' }] },
      { type: 'domain', value: 'partners.example.com', to_ids: true, Tag: [{ name: 'tlp:green' }] },
      { type: 'ip-dst', value: '198.51.100.77', to_ids: true, Tag: [{ name: 'tlp:amber' }] },
      { type: 'url', value: "http://quote.example.net/it's", to_ids: true, Tag: [{ name: 'tlp:green' }] },
      { type: 'sha256', value: 'a'.repeat(64), to_ids: true, Tag: [{ name: 'tlp:red' }] },
    ],
  },
});

async function server(t: { teardown: (fn: () => unknown) => void }) {
  const holder = new MatcherHolder();
  holder.swap(matcherFor([{ name: 'misp', format: 'misp', body: EVENT, confidence: 90 }]));
  const auth = new TokenAuth(
    [
      { name: 'green', secret: GREEN, scopes: ['read'], tlp: 'green' },
      { name: 'amber', secret: AMBER, scopes: ['read'], tlp: 'amber' },
    ],
    AddressSet.fromCidrs([]),
  );
  const app = new Hono();
  app.route('/', taxiiRoutes({ holder, metrics: new Metrics(), logger: silentLogger, auth, verdictAuth: 'open' }, {
    title: 'sluice test',
    collections: [{ id: 'everything', title: 'all lists', kinds: ['ip', 'domain', 'url', 'hash'], feeds: [], tags: [] }],
  }));
  app.onError(errorHandler(silentLogger));
  const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise((r) => s.once('listening', r));
  t.teardown(() => s.close());
  return `http://127.0.0.1:${(s.address() as { port: number }).port}`;
}

t.test('round trip: sluice pulls its own TAXII collection, and each token sees up to its TLP', async (t) => {
  const base = await server(t);
  process.env.SLUICE_TEST_TAXII_AMBER = AMBER;
  process.env.SLUICE_TEST_TAXII_GREEN = GREEN;
  const pull = async (tokenEnv: string) => {
    const result = await collectTaxii(collectContext({ url: `${base}/taxii2/`, taxii: { collection: 'everything', token_env: tokenEnv, page_size: 2 } }));
    if (result.kind !== 'body') throw new Error('no body');
    return result;
  };

  const amber = await pull('SLUICE_TEST_TAXII_AMBER');
  const values = keys(parseBody(amber.body, { format: 'stix' })).sort();
  t.same(values, ['domain:open.example.com', 'domain:partners.example.com', 'ipv4:198.51.100.77', "url:http://quote.example.net/it's"], 'amber sees clear, green and amber; a quote survives escaping');
  const report = parseBody(amber.body, { format: 'stix' });
  t.match(report.observations.find((o) => o.value === '198.51.100.77'), { tlp: 'amber', confidence: 90 }, 'TLP and confidence come back');
  t.notOk(bundleObjects(amber.body).some((o) => String(o.pattern ?? '').includes('a'.repeat(64))), 'TLP:RED never leaves');

  const green = await pull('SLUICE_TEST_TAXII_GREEN');
  const greenValues = keys(parseBody(green.body, { format: 'stix' }));
  t.notOk(greenValues.includes('ipv4:198.51.100.77'), 'a token without AMBER sees no AMBER indicator');
  t.equal(greenValues.length, 3);

  // Incremental: nothing added since the last poll, so nothing new.
  const again = await collectTaxii(collectContext(
    { url: `${base}/taxii2/`, taxii: { collection: 'everything', token_env: 'SLUICE_TEST_TAXII_AMBER', page_size: 2 } },
    { body: amber.body, state: amber.state },
  ));
  t.equal(again.kind, 'unchanged');
});

t.test('TAXII endpoints answer with the TAXII media type and refuse without a token', async (t) => {
  const base = await server(t);
  const get = (path: string, token?: string) => fetch(`${base}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  t.equal((await get('/taxii2/')).status, 401);
  const discovery = await get('/taxii2/', GREEN);
  t.equal(discovery.headers.get('content-type'), 'application/taxii+json;version=2.1');
  t.match(await discovery.json(), { default: `${base}/taxii2/api/`, api_roots: [`${base}/taxii2/api/`] });
  t.match(await (await get('/taxii2/api/collections/', GREEN)).json(), { collections: [{ id: 'everything', can_read: true, can_write: false }] });
  t.equal((await get('/taxii2/api/collections/nope/objects/', GREEN)).status, 404);
  const page = await get('/taxii2/api/collections/everything/objects/?limit=1', AMBER);
  const body = (await page.json()) as { more: boolean; next: string; objects: Array<{ type: string }> };
  t.equal(body.more, true);
  t.ok(page.headers.get('x-taxii-date-added-last'));
  t.equal(body.objects.filter((o) => o.type === 'indicator').length, 1);
  t.equal((await get('/taxii2/api/collections/everything/objects/?next=garbage', AMBER)).status, 400);
});
