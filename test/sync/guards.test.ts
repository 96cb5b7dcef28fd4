// Guards seen from the syncer: quarantine in feed status and metrics, and a held update that
// a restart does not pick up.
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../helpers/quiet.js';
import { parseConfig } from '../../src/config/load.js';
import { MemoryStore } from '../../src/store/memory/index.js';
import { Syncer } from '../../src/sync/syncer.js';
import { Metrics } from '../../src/metrics/registry.js';
import { Matcher } from '../../src/match/matcher.js';
import type { CompiledSet } from '../../src/match/compiled-set.js';

function start(dir: string, yaml: string[]) {
  const config = parseConfig([`data_dir: ${dir}`, ...yaml].join('\n'), join(dir, 'sluice.yaml'));
  const metrics = new Metrics();
  const sets: CompiledSet[] = [];
  const syncer = new Syncer({ config, store: new MemoryStore(dir), metrics, logger: silentLogger, onSet: (s) => sets.push(s) });
  return { syncer, metrics, live: () => new Matcher(sets.at(-1)!) };
}

t.test('PUB-015: held values show per feed with their guard, in status and metrics', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-guard-'));
  writeFileSync(join(dir, 'ips.txt'), '10.0.0.0/8\n127.0.0.1\n64.0.0.0/2\n8.8.8.8\n198.51.100.66\n');
  writeFileSync(join(dir, 'allow.txt'), '198.51.100.66\n');
  const { syncer, metrics, live } = start(dir, ['feeds:', '  - { name: ips, url: ./ips.txt, format: text, type: ip }', 'allowlist:', '  - path: ./allow.txt']);
  t.teardown(() => syncer.stop());
  await syncer.runOnce();
  const status = syncer.status()[0]!;
  t.equal(status.state, 'ok', 'the feed still loads');
  t.equal(status.entries, 5);
  t.match(status.quarantined, { count: 5, byGuard: { 'special-range': 2, 'wide-prefix': 1, allowlist: 1, warninglist: 1 } });
  t.match(status.quarantined.examples, [{ value: '10.0.0.0/8', guard: 'special-range', detail: /private-use/ }]);
  const gauge = (await metrics.registry.getSingleMetric('sluice_quarantined_indicators')!.get()).values;
  t.equal(gauge.find((v) => v.labels.feed === 'ips' && v.labels.guard === 'special-range')?.value, 2);
  t.equal(gauge.find((v) => v.labels.feed === 'ips' && v.labels.guard === 'wide-prefix')?.value, 1);
  t.match(live().lookupAddress({ family: 4, text: '8.8.8.8', v4: 0x08080808 } as never), { held: true }, '8.8.8.8 is a public resolver: held');
});

t.test('PUB-041: a held update is not what a restart loads', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-guard-'));
  const names = Array.from({ length: 1000 }, (_, i) => `n${i}.listed.example`);
  writeFileSync(join(dir, 'list.txt'), `${names.join('\n')}\n`);
  const yaml = ['feeds:', '  - { name: list, url: ./list.txt, format: text, type: domain }'];
  const first = start(dir, yaml);
  await first.syncer.runOnce();
  writeFileSync(join(dir, 'list.txt'), 'n1.listed.example\nn2.listed.example\nn3.listed.example\n');
  await first.syncer.syncFeed('list');
  t.equal(first.syncer.status()[0]!.state, 'held');
  t.ok(first.live().lookupDomain('n500.listed.example'), 'the 1,000 names stay enforced');
  await first.syncer.stop();

  const second = start(dir, yaml);
  t.teardown(() => second.syncer.stop());
  await second.syncer.loadLocal();
  t.equal(second.syncer.status()[0]!.entries, 1000, 'the cache still holds the last good body');
  t.ok(second.live().lookupDomain('n500.listed.example'));
  // Accepting publishes the held update and makes it the last good body.
  writeFileSync(join(dir, 'list.txt'), 'n1.listed.example\nn2.listed.example\nn3.listed.example\n');
  await second.syncer.syncFeed('list');
  const accepted = await second.syncer.acceptHeld('list');
  t.match(accepted, { entries: 3 });
  t.equal(second.live().lookupDomain('n500.listed.example'), undefined);
  t.equal(await second.syncer.acceptHeld('list'), undefined, 'nothing is held any more');
});

t.test('a restart with nothing changed publishes no new version (EDL ETags stay put)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-same-'));
  writeFileSync(join(dir, 'list.txt'), 'same.example.org\n');
  const yaml = ['feeds:', '  - { name: list, url: ./list.txt, format: text, type: domain }'];
  const first = start(dir, yaml);
  const { version } = await first.syncer.runOnce();
  await first.syncer.stop();

  const config = parseConfig([`data_dir: ${dir}`, ...yaml].join('\n'), join(dir, 'sluice.yaml'));
  const versions: number[] = [];
  const second = new Syncer({ config, store: new MemoryStore(dir), metrics: new Metrics(), logger: silentLogger, onSet: (s) => versions.push(s.meta.version) });
  t.teardown(() => second.stop());
  await second.loadLocal();
  t.same(versions, [version], 'the saved version is served, and the rebuild from the same data adds none');
  writeFileSync(join(dir, 'list.txt'), 'same.example.org\nnew.example.org\n');
  await second.syncFeed('list');
  t.equal(versions.length, 2, 'a real change still makes a new version');
  t.ok(versions[1]! > version!);
});
