// Sets in shared memory are let go once no thread uses them. V8 counts no SharedArrayBuffer
// towards a thread's garbage collection, so without holdSharedSet a DNS thread kept nearly
// every set it was ever sent and memory grew with each update.
import t from 'tap';
import { createSocket } from 'node:dgram';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../helpers/quiet.js';
import { silentLogger } from '../helpers/quiet.js';
import { matcherFor } from '../helpers/feeds.js';
import { dig } from '../helpers/cli.js';
import { parseConfig } from '../../src/config/load.js';
import { batchUdp } from '../../src/dns/batch-udp.js';
import { shareSet } from '../../dist/match/codec.js';
import { holdSharedSet } from '../../dist/dns/workers/shared-sets.js';
import { DnsThreadPool } from '../../dist/dns/workers/threads.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rssMiB = () => process.memoryUsage().rss / 2 ** 20;

t.test('a DNS thread sent 40 sets of 8 MiB holds a few, not all', { skip: batchUdp() ? false : 'the batched UDP helper is not built' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-thread-memory-'));
  const config = parseConfig(`data_dir: ${join(dir, 'data')}\ndns: { listen: ["127.0.0.1:0"], upstream: ["127.0.0.1:9"], workers: 1 }`, join(dir, 'sluice.yaml'));
  const base = shareSet(matcherFor([{ name: 'local', format: 'text', type: 'domain', confidence: 90, body: 'bad.example.com\n' }]).set);
  const probe = createSocket('udp4');
  await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
  const port = probe.address().port;
  probe.close();

  const pool = new DnsThreadPool(config, 1, silentLogger);
  t.teardown(() => pool.stop());
  await pool.start([port]);
  const SETS = 40;
  const SIZE = 8 * 2 ** 20;
  const before = rssMiB();
  for (let i = 0; i < SETS; i++) {
    // A set with 8 MiB more of details, every page written, as a real update would be.
    const detailBytes = new Uint8Array(new SharedArrayBuffer(SIZE)).fill(i + 1);
    const set = { ...base, meta: { ...base.meta, version: i + 2 }, detailBytes };
    holdSharedSet(set); // as the main thread does with every set it swaps in
    pool.broadcast(set);
    await sleep(30);
    // Something for the thread to do between sets, as a DNS thread always has.
    if (i % 8 === 0) await dig(port, ['+tries=1', 'bad.example.com', 'A']);
  }
  await sleep(1000);
  t.match(await dig(port, ['+tries=1', 'bad.example.com', 'A']), /sluice\.invalid/, 'the thread still answers from the set');
  const grown = rssMiB() - before;
  t.ok(grown < (SETS * SIZE) / 2 ** 20 / 2, `memory grew by ${Math.round(grown)} MiB for ${SETS} sets of ${SIZE / 2 ** 20} MiB sent`);
});
