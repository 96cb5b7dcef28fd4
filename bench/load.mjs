// Load benchmark: indicators per second from feed text to a compiled set, and bytes per
// indicator of the compiled set a gateway holds, for 1M domains, beside a plain Set of the
// same strings measured in the same run.
// Usage: npm run bench:load  [-- --size N]   (runs node with --expose-gc)
import { parseFeedBody } from '../dist/feeds/update.js';
import { feedSchema } from '../dist/config/schema.js';
import { buildIndicatorSet } from '../dist/indicators/build.js';
import { compileSet } from '../dist/match/compile.js';
import { setToImage } from '../dist/match/codec.js';
import { fmt, makeDomains } from './common.mjs';

if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc (npm run bench:load does)');
  process.exit(2);
}
const size = Number(process.argv[process.argv.indexOf('--size') + 1]) || 1_000_000;
const domains = makeDomains(size, 7, 'd');
const body = Buffer.from(`# generated list\n${domains.join('\n')}\n`);
const feed = feedSchema.parse({ name: 'bench', url: '/dev/null', format: 'text', type: 'domain' });

const memory = () => {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

// Stage timings: parse and normalize, merge and score, compile for lookups.
const t0 = performance.now();
const report = parseFeedBody(feed, body, 'text/plain', 0.5);
const t1 = performance.now();
const { set } = buildIndicatorSet({
  version: 1,
  now: 1_700_000_000,
  policy: { block_at: 70, monitor_at: 40 },
  feeds: [{ feed: 'bench', confidence: 80, listedAt: 1_700_000_000, observations: report.list }],
  allowlists: [],
});
const t2 = performance.now();
const compiled = compileSet(set);
const t3 = performance.now();
const total = (t3 - t0) / 1000;

// Memory a gateway holds: the compiled set only (the syncer's working objects are dropped).
const image = setToImage(compiled);
const compiledBytes = Object.values(image.sections).reduce((n, s) => n + s.byteLength, 0);

const before = memory();
const plain = new Set(domains.map((d) => `${d} `.slice(0, -1)));
const setBytes = memory() - before;

console.log(`load benchmark: ${fmt(size)} domains (${fmt(body.length / 1e6, 1)} MB of feed text), node ${process.version}`);
console.log('');
console.log(`parse + normalize   ${fmt(t1 - t0)} ms`);
console.log(`merge + score       ${fmt(t2 - t1)} ms`);
console.log(`compile             ${fmt(t3 - t2)} ms`);
console.log(`total               ${fmt(total * 1000)} ms  = ${fmt(size / total)} indicators/s`);
console.log('');
console.log(`compiled set        ${fmt(compiledBytes / size, 1)} bytes/indicator (${fmt(compiledBytes / 1e6, 1)} MB)`);
console.log(`plain Set<string>   ${fmt(setBytes / size, 1)} bytes/indicator (${fmt(setBytes / 1e6, 1)} MB)`);
console.log(`ratio compiled/Set  ${fmt(compiledBytes / setBytes, 2)}`);
if (plain.size !== size || compiled.meta.entries !== size) process.exit(1);
