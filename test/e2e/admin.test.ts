// The admin API against a real `sluice serve`: tokens and scopes, the change guard and its
// accept, and manual entries that apply at once and survive a restart.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DnsStub } from '../helpers/dns-stub.js';
import { serve, type Served } from '../helpers/cli.js';

const ADMIN = 'admin-token-0123456789abcdef';
const READ = 'read-token-0123456789abcdef';
const NAMES = Array.from({ length: 1000 }, (_, i) => `host${i}.listed.example`);

t.test('admin API end to end', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-admin-'));
  writeFileSync(join(dir, 'big.txt'), `${NAMES.join('\n')}\n`);
  const upstream = new DnsStub({});
  await upstream.start();
  t.teardown(() => upstream.stop());
  process.env.SLUICE_TEST_READ_TOKEN = READ;
  writeFileSync(
    join(dir, 'sluice.yaml'),
    [
      'data_dir: ./data',
      `dns: { listen: ["127.0.0.1:0"], upstream: ["127.0.0.1:${upstream.port}"] }`,
      'http:',
      '  listen: "127.0.0.1:0"',
      '  tokens:',
      `    - { name: ops, token: "${ADMIN}", scopes: [admin] }`,
      '    - { name: dashboard, token_env: SLUICE_TEST_READ_TOKEN, scopes: [read] }',
      'feeds:',
      '  - { name: big, url: ./big.txt, format: text, type: domain, confidence: 80, interval: 1h }',
    ].join('\n'),
  );

  let gw: Served = await serve(join(dir, 'sluice.yaml'));
  t.teardown(() => gw.stop());
  const api = (path: string, init: RequestInit & { token?: string } = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    return fetch(`http://127.0.0.1:${gw.httpPort}${path}`, { ...init, headers });
  };
  const verdict = async (value: string) => ((await (await api(`/v1/verdict?value=${encodeURIComponent(value)}`)).json()) as { verdict: string }).verdict;
  const waitFor = async (what: () => Promise<boolean>, label: string) => {
    for (let i = 0; i < 100; i++) {
      if (await what()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    t.fail(`timed out waiting for ${label}`);
  };
  await waitFor(async () => (await verdict('host500.listed.example')) === 'block', 'the feed to load');

  t.test('tokens and scopes', async (t) => {
    const { stdout } = await promisify(execFile)('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${gw.httpPort}/v1/feeds`]);
    t.equal(stdout, '401', 'curl without a token gets 401');
    t.equal((await api('/v1/feeds', { token: 'wrong-token-0000000000000' })).status, 401, 'an unknown token gets 401');
    t.equal((await api('/v1/feeds', { token: READ })).status, 200, 'a read token reads feed status');
    const post = await api('/v1/indicators', { method: 'POST', token: READ, body: JSON.stringify({ value: 'x.example.org', action: 'block', reason: 'test' }) });
    t.equal(post.status, 403, 'a read token cannot add entries');
    t.match(await post.json(), { error: { code: 'SLUICE_ERR_FORBIDDEN', message: /lacks scope admin/ } });
    t.equal((await api('/v1/feeds/big/accept', { method: 'POST' })).status, 401);
    t.equal((await api('/v1/verdict?value=a.example.org')).status, 200, 'verdicts stay open by default');
  });

  t.test('PUB-041: a feed that shrinks by over 99% is held until accepted', async (t) => {
    writeFileSync(join(dir, 'big.txt'), 'host1.listed.example\nhost2.listed.example\nhost3.listed.example\n');
    t.equal((await api('/v1/feeds/big/sync', { method: 'POST', token: ADMIN })).status, 200);
    const status = ((await (await api('/v1/feeds', { token: READ })).json()) as { feeds: Array<Record<string, any>> }).feeds[0]!;
    t.equal(status.state, 'held');
    t.match(status.heldUpdate, { reason: /shrinks the feed by 100% \(1000 to 3 entries\)/, entries: 3, previous: 1000, examples: ['host1.listed.example'] });
    t.equal(await verdict('host500.listed.example'), 'block', 'the 1,000 names stay enforced');
    const metrics = await (await api('/metrics')).text();
    t.match(metrics, /sluice_feed_updates_held_total\{feed="big"\} 1/);
    t.match(gw.stderr(), /feed update held back/);

    const accepted = await api('/v1/feeds/big/accept', { method: 'POST', token: ADMIN });
    t.equal(accepted.status, 200);
    t.match(await accepted.json(), { feed: 'big', accepted: true, entries: 3 });
    t.equal(await verdict('host500.listed.example'), 'allow', 'accepted: the names are gone');
    t.equal(await verdict('host2.listed.example'), 'block');
    t.equal((await api('/v1/feeds/big/accept', { method: 'POST', token: ADMIN })).status, 409, 'nothing left to accept');
  });

  t.test('manual entries apply at once, are explained, and survive a restart', async (t) => {
    const add = await api('/v1/indicators', { method: 'POST', token: ADMIN, body: JSON.stringify({ value: 'hxxps://manual-bad[.]example[.]org', action: 'block', reason: 'incident 42', expires: '7d' }) });
    t.equal(add.status, 201);
    t.match(await add.json(), { entry: { type: 'url', value: 'https://manual-bad.example.org/', action: 'block', by: 'ops' }, version: Number });
    t.equal(await verdict('https://manual-bad.example.org/'), 'block', 'in force when the POST returns');
    t.equal((await api('/v1/indicators', { method: 'POST', token: ADMIN, body: JSON.stringify({ value: 'host2.listed.example', action: 'allow', reason: 'our partner' }) })).status, 201);
    t.equal(await verdict('host2.listed.example'), 'allow');
    const bad = await api('/v1/indicators', { method: 'POST', token: ADMIN, body: JSON.stringify({ value: 'a.example.org', action: 'nuke', reason: 'x' }) });
    t.match(await bad.json(), { error: { param: 'action' } });

    const explained = (await (await api(`/v1/indicators/${encodeURIComponent('host2.listed.example')}`, { token: READ })).json()) as Record<string, any>;
    t.match(explained, { verdict: 'allow', allowlist: [{ list: 'manual', reason: 'our partner (by ops)' }], manual: [{ action: 'allow', by: 'ops' }] });
    t.match(explained.score_parts, { corroboration: 1, sources: [{ feed: 'big', confidence: 80 }] });

    await gw.stop();
    gw = await serve(join(dir, 'sluice.yaml'));
    await waitFor(async () => (await verdict('host3.listed.example')) === 'block', 'the restarted gateway');
    t.equal(await verdict('https://manual-bad.example.org/'), 'block', 'the manual block survived the restart');
    t.equal(await verdict('host2.listed.example'), 'allow', 'so did the manual allow');

    const removed = await api(`/v1/indicators/${encodeURIComponent('host2.listed.example')}`, { method: 'DELETE', token: ADMIN });
    t.equal(removed.status, 200);
    t.equal(await verdict('host2.listed.example'), 'block', 'removing it applies at once');
    t.equal((await api(`/v1/indicators/nothing.example.org`, { method: 'DELETE', token: ADMIN })).status, 404);
    t.notMatch(gw.stderr(), new RegExp(`${ADMIN}|${READ}`), 'no token appears in the logs');
  });

  t.test('a value a guard holds is enforced only through an explicit manual block', async (t) => {
    writeFileSync(join(dir, 'big.txt'), 'host1.listed.example\n10.9.8.7\nmail.google.com\n');
    await api('/v1/feeds/big/sync', { method: 'POST', token: ADMIN });
    const explained = (await (await api('/v1/indicators/10.9.8.7', { token: READ })).json()) as Record<string, any>;
    t.match(explained, { verdict: 'allow', quarantine: { guard: 'special-range' } });
    const feeds = ((await (await api('/v1/feeds', { token: READ })).json()) as { feeds: Array<Record<string, any>> }).feeds;
    t.match(feeds[0]!.quarantined, { byGuard: { 'special-range': 1, warninglist: 1 } });
    t.equal(await verdict('mail.google.com'), 'allow');
    const add = await api('/v1/indicators', { method: 'POST', token: ADMIN, body: JSON.stringify({ value: '10.9.8.7', action: 'block', reason: 'compromised lab host' }) });
    t.equal(add.status, 201);
    t.equal(await verdict('10.9.8.7'), 'block', 'the operator enforces it on purpose');
    t.equal(await verdict('10.9.8.6'), 'allow', 'and nothing else of the range');
  });
});
