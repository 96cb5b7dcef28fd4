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

const T0 = Date.UTC(2026, 0, 1) / 1000;

t.test('first seen survives new versions and restarts; last seen follows the feed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-seen-'));
  const feed = join(dir, 'list.txt');
  const config = parseConfig(`data_dir: ${dir}\nfeeds:\n  - { name: list, url: ./list.txt, format: text }\n`, join(dir, 'sluice.yaml'));
  let clock = T0;
  const start = async () => {
    const sets: CompiledSet[] = [];
    const syncer = new Syncer({ config, store: new MemoryStore(dir), metrics: new Metrics(), logger: silentLogger, onSet: (s) => sets.push(s), now: () => clock * 1000 });
    t.teardown(() => syncer.stop());
    return { syncer, latest: () => new Matcher(sets.at(-1)!) };
  };
  const seen = (m: Matcher, name: string) => {
    const hit = m.lookupDomain(name)!;
    const [source] = m.entryDetail(hit.entry).sources;
    return [source!.firstSeen - T0, source!.lastSeen - T0];
  };

  writeFileSync(feed, 'old.example.com\n');
  const first = await start();
  await first.syncer.runOnce();
  t.same(seen(first.latest(), 'old.example.com'), [0, 0]);

  clock = T0 + 3600;
  writeFileSync(feed, 'old.example.com\nnew.example.com\n');
  await first.syncer.syncFeed('list');
  await first.syncer.runOnce();
  t.same(seen(first.latest(), 'old.example.com'), [0, 3600], 'an hour later: first seen kept, last seen moved');
  t.same(seen(first.latest(), 'new.example.com'), [3600, 3600]);
  await first.syncer.stop();

  clock = T0 + 7200;
  writeFileSync(feed, 'old.example.com\nnew.example.com\n');
  const second = await start();
  await second.syncer.loadLocal();
  t.same(seen(second.latest(), 'old.example.com')[0], 0, 'after a restart, from the cached body and the saved set');
  await second.syncer.run();
  t.same(seen(second.latest(), 'old.example.com'), [0, 7200], 'and after the next fetch');
  t.same(seen(second.latest(), 'new.example.com'), [3600, 7200]);
});
