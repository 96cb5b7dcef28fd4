import t, { type Test } from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { silentLogger } from '../helpers/quiet.js';
import { FeedServer } from '../helpers/feed-server.js';
import { parseConfig } from '../../src/config/load.js';
import { MemoryStore } from '../../src/store/memory/index.js';
import { Syncer } from '../../src/sync/syncer.js';
import { Metrics } from '../../src/metrics/registry.js';
import { Matcher } from '../../src/match/matcher.js';
import type { CompiledSet } from '../../src/match/compiled-set.js';

const DOMAINS = Array.from({ length: 500 }, (_, i) => `host${i}.bad.example`).join('\n') + '\n';

async function setup(t: Test) {
  const server = new FeedServer();
  await server.start();
  t.teardown(() => server.stop());
  server.serveBody('/list.txt', DOMAINS);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-sync-'));
  const config = parseConfig(
    [
      `data_dir: ${dir}`,
      'sync: { retries: 0, timeout: 2s }',
      'feeds:',
      `  - { name: list, url: "${server.url('/list.txt')}", format: text, type: domain }`,
    ].join('\n'),
    join(dir, 'sluice.yaml'),
  );
  const metrics = new Metrics();
  const sets: CompiledSet[] = [];
  const syncer = new Syncer({ config, store: new MemoryStore(dir), metrics, logger: silentLogger, onSet: (s) => sets.push(s) });
  t.teardown(() => syncer.stop());
  const live = () => sets.at(-1)!;
  const metric = async (name: string) => {
    const found = (await metrics.registry.getSingleMetric(name)?.get())?.values.find((v) => v.labels.feed === 'list');
    return found?.value;
  };
  return { server, syncer, sets, live, metric, dir, config, metrics };
}


t.test('PUB-038, PUB-041: keeps the last good set when a feed turns into garbage', async (t) => {
  const failures: Array<[string, (s: FeedServer) => void, RegExp]> = [
    ['an HTML login page with status 200', (s) => s.set('/list.txt', (_q, r) => r.writeHead(200, { 'Content-Type': 'text/html' }).end('<!DOCTYPE html>\n<html lang="en"><head><meta content="cdn.example.net"><title>Sign in</title></head><body><a href="https://example.com/login">example.com</a></body></html>\n')), /HTML page/],
    ['a truncated gzip body', (s) => {
      const gz = gzipSync(DOMAINS);
      s.set('/list.txt', (_q, r) => r.writeHead(200, { 'Content-Encoding': 'gzip' }).end(gz.subarray(0, gz.length / 2)));
    }, /decompress/],
    ['an empty body', (s) => s.set('/list.txt', (_q, r) => r.writeHead(200).end('')), /empty body/],
    ['HTTP 500', (s) => s.set('/list.txt', (_q, r) => r.writeHead(500).end('oops')), /HTTP 500/],
    ['a connection that never answers', (s) => s.set('/list.txt', () => undefined), /timed out/],
  ];
  for (const [what, breakIt, error] of failures) {
    await t.test(what, async (t) => {
      const { server, syncer, live, metric } = await setup(t);
      await syncer.start();
      const before = live();
      t.equal(before.meta.counts.domain, 500, 'first sync loads 500 domains');
      const lastSuccess = await metric('sluice_feed_last_success_timestamp_seconds');

      breakIt(server);
      await syncer.syncFeed('list');
      await new Promise((r) => setTimeout(r, 400));
      t.equal(live().meta.counts.domain, 500, 'the 500 domains stay live');
      t.ok(new Matcher(live()).lookupDomain('host42.bad.example'), 'a listed name still matches');
      const status = syncer.status()[0]!;
      t.equal(status.state, 'failing');
      t.match(status.lastError, error);
      t.equal(await metric('sluice_feed_errors_total'), 1, 'the error is counted once');
      t.equal(await metric('sluice_feed_last_success_timestamp_seconds'), lastSuccess, 'last success does not move');
    });
  }
});

t.test('PUB-038: no token of an HTML page becomes an indicator', async (t) => {
  const { server, syncer, live } = await setup(t);
  server.set('/list.txt', (_q, r) => r.writeHead(200, { 'Content-Type': 'text/plain' }).end('<html lang="en">\n<head><title>x</title></head>\ncdn.example.net\n</html>\n'));
  await syncer.start();
  t.equal(live(), undefined, 'no set was published from an HTML body');
  t.equal(syncer.status()[0]!.state, 'failing');
});

t.test('a 304 keeps the data and counts as a success', async (t) => {
  const { server, syncer, live, metric } = await setup(t);
  await syncer.start();
  await syncer.syncFeed('list');
  t.equal(server.requests.at(-1)!.headers['if-none-match'] !== undefined, true, 'the second fetch is conditional');
  t.equal(live().meta.counts.domain, 500);
  t.equal(syncer.status()[0]!.state, 'ok');
  t.equal(await metric('sluice_feed_errors_total'), 0, 'no error was counted');
});

t.test('PUB-043: a restart without network serves the saved set before any fetch', async (t) => {
  const { syncer, live, config, dir } = await setup(t);
  await syncer.start();
  const version = live().meta.version;
  await syncer.stop();

  const unreachable = parseConfig(
    [`data_dir: ${dir}`, 'sync: { retries: 0, timeout: 1s }', 'feeds:', '  - { name: list, url: "http://127.0.0.1:9/list.txt", format: text, type: domain }'].join('\n'),
    config.file,
  );
  const sets: CompiledSet[] = [];
  const restarted = new Syncer({ config: unreachable, store: new MemoryStore(dir), metrics: new Metrics(), logger: silentLogger, onSet: (s) => sets.push(s) });
  t.teardown(() => restarted.stop());
  await restarted.loadLocal();
  t.equal(sets[0]!.meta.version, version, 'the saved snapshot is served before any fetch');
  t.equal(sets[0]!.meta.counts.domain, 500);
  t.ok(new Matcher(sets[0]!).lookupDomain('www.host7.bad.example'));
});

t.test('PUB-041: removing a feed from the config removes its entries on the next start', async (t) => {
  const { syncer, dir, config } = await setup(t);
  await syncer.start();
  await syncer.stop();
  const without = parseConfig(`data_dir: ${dir}\nfeeds:\n  - { name: other, url: "${join(dir, 'other.txt')}", format: text }\n`, config.file);
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'other.txt'), 'kept.example.com\n');
  const sets: CompiledSet[] = [];
  const next = new Syncer({ config: without, store: new MemoryStore(dir), metrics: new Metrics(), logger: silentLogger, onSet: (s) => sets.push(s) });
  t.teardown(() => next.stop());
  await next.start();
  const last = new Matcher(sets.at(-1)!);
  t.notOk(last.lookupDomain('host1.bad.example'), 'the removed feed no longer blocks');
  t.ok(last.lookupDomain('kept.example.com'));
});

t.test('PUB-041: a snapshot that cannot be written is reported while the new set is served', async (t) => {
  const { syncer, live, metrics, dir } = await setup(t);
  const { writeFileSync } = await import('node:fs');
  // A file where the snapshot folder should be: every write fails, as on a full or broken disk.
  writeFileSync(join(dir, 'set'), 'not a directory');
  await syncer.start();
  t.equal(live().meta.counts.domain, 500, 'the set is served from memory');
  const errors = (await metrics.registry.getSingleMetric('sluice_store_errors_total')!.get()).values;
  t.ok(errors.some((v) => v.labels.operation === 'save' && v.value >= 1), 'the failed save is counted');
  t.ok(new Matcher(live()).lookupDomain('host3.bad.example'), 'lookups keep working');
});
