// The one-off commands with store: redis, against a redis-server this test starts: sync --once
// writes a version under the lease (and refuses while a running syncer holds it), check and
// export read the current version from Redis, and every command exits promptly when Redis is
// not there instead of waiting on a reconnecting client.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { sluice } from '../helpers/cli.js';
import { freePort, startRedis } from '../helpers/net.js';

function workspace(redisPort: number, password?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-redis-cli-'));
  writeFileSync(join(dir, 'list.txt'), 'listed.example.org\n');
  writeFileSync(
    join(dir, 'sluice.yaml'),
    [
      'store: redis',
      `redis: { url: "redis://${password ? `:${password}@` : ''}127.0.0.1:${redisPort}/0", prefix: "cli-test:", lease: 5s }`,
      'dns: { listen: [], upstream: ["127.0.0.1:9"] }',
      'feeds:',
      '  - { name: local, url: ./list.txt, format: text }',
    ].join('\n'),
  );
  return join(dir, 'sluice.yaml');
}

t.test('sync --once, check and export on Redis', async (t) => {
  const port = await freePort();
  await startRedis(t, port);
  const config = workspace(port);

  const synced = await sluice(['sync', '--once', '--config', config]);
  t.equal(synced.code, 0, `sync --once writes a version: ${synced.stderr.slice(-300)}`);
  t.match(synced.stdout, /set version 1 written/);
  const redis = new Redis(`redis://127.0.0.1:${port}/0`);
  t.teardown(() => redis.disconnect());
  t.equal(await redis.get('cli-test:current'), '1', 'current in Redis');
  t.equal(await redis.get('cli-test:lease'), null, 'and the lease given back');

  const started = performance.now();
  const checked = await sluice(['check', '--config', config, 'www.listed.example.org']);
  t.equal(checked.code, 0, `check reads the version from Redis: ${checked.stderr}`);
  t.match(checked.stdout, /block/);
  const exported = await sluice(['export', '--config', config, '--type', 'domain']);
  t.match(exported.stdout, /^listed\.example\.org$/m, 'export lists it');
  t.ok(performance.now() - started < 15_000, 'both exit promptly');

  await redis.set('cli-test:lease', 'a-running-syncer', 'PX', 60_000);
  const refused = await sluice(['sync', '--once', '--config', config]);
  t.equal(refused.code, 1, 'refused while another syncer holds the lease');
  t.match(refused.stderr, /another syncer holds the lease/);
  t.equal(await redis.get('cli-test:current'), '1', 'and nothing written');
});

t.test('Redis not there: a clear error, and an exit', async (t) => {
  const config = workspace(await freePort(), 'cli-secret-password');
  const started = performance.now();
  const checked = await sluice(['check', '--config', config, 'example.org']);
  t.equal(checked.code, 1);
  t.match(checked.stderr, /redis at redis:\/\/\[redacted\]@127\.0\.0\.1:\d+\/0 is not reachable/);
  t.notMatch(checked.stderr, /cli-secret-password/, 'the password in the URL is not shown');
  const synced = await sluice(['sync', '--once', '--config', config]);
  t.equal(synced.code, 1);
  t.match(synced.stderr, /not reachable/);
  t.ok(performance.now() - started < 30_000, `both exited within ${Math.round(performance.now() - started)} ms`);
});
