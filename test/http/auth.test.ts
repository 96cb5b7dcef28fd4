// Tokens and scopes on the hono app itself, including verdict routes closed by config.
import t from 'tap';
import { silentLogger } from '../helpers/quiet.js';
import { matcherFor } from '../helpers/feeds.js';
import { buildApp } from '../../src/http/app.js';
import { resolveTokens, TokenAuth } from '../../src/http/auth.js';
import { AddressSet } from '../../src/match/cidr/address-set.js';
import { MatcherHolder } from '../../src/match/holder.js';
import { Metrics } from '../../src/metrics/registry.js';

const VERDICT = 'verdict-token-000000000000';
const READ = 'read-token-1111111111111111';

function app(verdictAuth: 'open' | 'token', grants = [
  { name: 'proxy', secret: VERDICT, scopes: ['verdict' as const] },
  { name: 'dash', secret: READ, scopes: ['read' as const] },
]) {
  const holder = new MatcherHolder();
  holder.swap(matcherFor([{ name: 'f', format: 'text', body: 'bad.example.com\n' }]));
  return buildApp({ holder, metrics: new Metrics(), logger: silentLogger, auth: new TokenAuth(grants, AddressSet.fromCidrs(['127.0.0.0/8'])), verdictAuth, feedStatus: () => [] });
}
const get = (a: ReturnType<typeof app>, path: string, token?: string) =>
  a.request(path, token ? { headers: { authorization: `Bearer ${token}` } } : {});

t.test('verdict_auth: token closes verdict and list routes to callers without a token', async (t) => {
  const a = app('token');
  t.equal((await get(a, '/v1/verdict?value=bad.example.com')).status, 401);
  t.equal((await get(a, '/edl/domain.txt')).status, 401);
  t.equal((await get(a, '/v1/verdict?value=bad.example.com', VERDICT)).status, 200);
  t.equal((await get(a, '/edl/domain.txt', READ)).status, 200, 'read includes verdict');
  t.equal((await get(a, '/v1/feeds', VERDICT)).status, 403, 'verdict does not include read');
  t.equal((await get(a, '/metrics')).status, 200, 'metrics and health stay open');
  t.equal((await get(a, '/healthz')).status, 200);
  const res = await get(a, '/v1/verdict?value=x.example.com');
  t.equal(res.headers.get('www-authenticate'), 'Bearer realm="sluice"');
});

t.test('verdict_auth: open leaves them open', async (t) => {
  t.equal((await get(app('open'), '/v1/verdict?value=bad.example.com')).status, 200);
});

t.test('identify: only the exact token, in a Bearer header', async (t) => {
  const auth = new TokenAuth([{ name: 'a', secret: VERDICT, scopes: ['admin'] }], AddressSet.fromCidrs([]));
  t.match(auth.identify(`Bearer ${VERDICT}`), { name: 'a' });
  t.equal(auth.identify(`Bearer ${VERDICT}x`), undefined);
  t.equal(auth.identify(`Bearer ${VERDICT.slice(0, -1)}`), undefined);
  t.equal(auth.identify(`Basic ${VERDICT}`), undefined);
  t.equal(auth.identify(undefined), undefined);
});

t.test('tokens from the environment; an unset variable disables the token and names the variable only', async (t) => {
  const warnings: string[] = [];
  const grants = resolveTokens(
    [
      { name: 'env', token_env: 'SLUICE_T1', scopes: ['admin'] },
      { name: 'missing', token_env: 'SLUICE_T2', scopes: ['read'] },
    ],
    { SLUICE_T1: 'from-the-environment-123' },
    (m) => warnings.push(m),
  );
  t.same(grants, [{ name: 'env', secret: 'from-the-environment-123', scopes: ['admin'] }]);
  t.same(warnings, ['token missing: environment variable SLUICE_T2 is not set; this token is disabled']);
});

t.test('with no token configured, loopback may read and nobody may write', async (t) => {
  const a = app('open', []);
  // hono's test requests carry no socket address: treated as not loopback.
  t.equal((await get(a, '/v1/feeds')).status, 401);
  t.match(await (await get(a, '/v1/feeds')).json(), { error: { message: /configure http.tokens/ } });
});
