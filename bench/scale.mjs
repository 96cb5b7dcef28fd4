// Scale-out benchmark on a redis-server of its own: a syncer writes a set of N names, a full
// gateway and an edge gateway follow it. Prints the resident memory of each against an idle
// gateway measured in the same run (memory per indicator for both modes), what Redis holds
// per indicator, the time from the syncer's write of a new version to the last gateway's
// swap, and lookup latency on each gateway for listed and clean names.
//
// Usage: npm run build && node bench/scale.mjs [--size 1000000] [--changes 5]
// Needs redis-server and dig. Everything listens on 127.0.0.1 only.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { fmt, freePort, makeDomains, rssMiB, waitFor, writeLines } from './common.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const SIZE = arg('size', 1_000_000);
const CHANGES = arg('changes', 5);
const PREFIX = 'bench:';
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-scale-'));
const children = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function readyVersion(port) {
  try {
    const body = await (await fetch(`http://127.0.0.1:${port}/readyz`)).json();
    return body.version ?? 0;
  } catch {
    return 0;
  }
}

// ---- Redis of our own
const redisPort = await freePort();
children.push(spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' }));
await sleep(300);
const redis = new Redis(`redis://127.0.0.1:${redisPort}/0`);
await redis.ping();
const baseMemory = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))[1]);

// ---- the feed and the processes
console.log(`generating ${fmt(SIZE)} listed names`);
const listed = makeDomains(SIZE, 11, 'b');
await writeLines(join(dir, 'listed.txt'), listed);

const config = (name, extra) => {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, [
    `data_dir: ${join(dir, name)}`,
    'log: { level: warn }',
    'store: redis',
    `redis: { url: "redis://127.0.0.1:${redisPort}/0", prefix: "${extra.prefix ?? PREFIX}", gateway: { memory: ${extra.memory ?? 'full'} } }`,
    `dns: { listen: ["127.0.0.1:${extra.dns ?? 0}"], upstream: ["127.0.0.1:9"] }`,
    `http: { listen: "127.0.0.1:${extra.http}" }`,
    'guards: { max_change: 0 }',
    'warninglists: { tranco10k: off, majestic_million: off, cisco_top1000: off }',
    'feeds:',
    `  - { name: listed, url: ${join(dir, 'listed.txt')}, format: text, type: domain, confidence: 90, interval: 1s }`,
  ].join('\n'));
  return path;
};
const start = (path, role) => {
  const child = spawn(process.execPath, [CLI, 'serve', '--config', path, '--role', role], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  return child;
};

const ports = { syncer: await freePort(), idle: await freePort(), full: await freePort(), edge: await freePort(), fullDns: await freePort(), edgeDns: await freePort() };
const started = performance.now();
start(config('syncer', { http: ports.syncer }), 'syncer');
await waitFor('the syncer to write the first version', async () => (await redis.get(`${PREFIX}current`)) !== null, 600_000);
console.log(`syncer wrote version 1 (${fmt(SIZE)} names) in ${fmt((performance.now() - started) / 1000, 1)} s from start`);

// The baseline: a gateway process with nothing to serve (its prefix holds no version).
const idle = start(config('idle', { http: ports.idle, prefix: 'bench-empty:' }), 'gateway');
const full = start(config('full', { http: ports.full, dns: ports.fullDns }), 'gateway');
const edge = start(config('edge', { http: ports.edge, dns: ports.edgeDns, memory: 'edge' }), 'gateway');
const gateways = [
  { name: 'full', port: ports.full, dns: ports.fullDns, child: full },
  { name: 'edge', port: ports.edge, dns: ports.edgeDns, child: edge },
];
await waitFor('the gateways to load', async () => (await Promise.all(gateways.map((g) => readyVersion(g.port)))).every((v) => v > 0), 300_000);
await waitFor('the idle gateway to listen', async () => {
  try {
    return (await fetch(`http://127.0.0.1:${ports.idle}/healthz`)).ok;
  } catch {
    return false;
  }
}, 60_000);

// ---- lookups, which also fill the edge cache a little as real traffic would
function digTime(port, name) {
  const out = execFileSync('dig', ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', name, 'A'], { encoding: 'utf8' });
  return { blocked: out.includes('sluice.invalid') || out.includes('NXDOMAIN'), ms: Number(/Query time: (\d+) msec/.exec(out)?.[1] ?? NaN) };
}
for (const g of gateways) {
  const blocked = listed.slice(0, 200).map((n) => digTime(g.dns, n));
  g.blockedAll = blocked.every((r) => r.blocked);
  const verdicts = [];
  for (let i = 0; i < 200; i++) {
    const t0 = performance.now();
    await (await fetch(`http://127.0.0.1:${g.port}/v1/verdict?domain=${i % 2 ? listed[1000 + i] : `clean${i}.example.net`}`)).json();
    verdicts.push(performance.now() - t0);
  }
  verdicts.sort((a, b) => a - b);
  g.verdictMedianMs = verdicts[100];
}
await sleep(3000);

// ---- memory
const idleRss = rssMiB(idle.pid);
for (const g of gateways) g.rss = rssMiB(g.child.pid);
const usedMemory = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))[1]);

// ---- swaps: from the syncer's announcement of a version to the last gateway serving it
const sub = redis.duplicate();
const announced = new Map();
await sub.subscribe(`${PREFIX}versions`);
sub.on('message', (_c, v) => announced.set(Number(v), performance.now()));
const swaps = [];
for (let c = 1; c <= CHANGES; c++) {
  const before = Number(await redis.get(`${PREFIX}current`));
  writeFileSync(join(dir, 'listed.tmp'), `${readFileSync(join(dir, 'listed.txt'), 'utf8')}change${c}.bench.example\n`);
  renameSync(join(dir, 'listed.tmp'), join(dir, 'listed.txt'));
  await waitFor(`version after change ${c}`, async () => Number(await redis.get(`${PREFIX}current`)) > before, 300_000);
  const version = Number(await redis.get(`${PREFIX}current`));
  await waitFor(`gateways on version ${version}`, async () => (await Promise.all(gateways.map((g) => readyVersion(g.port)))).every((v) => v >= version), 120_000, 5);
  const seen = performance.now();
  swaps.push(seen - (announced.get(version) ?? seen));
}
swaps.sort((a, b) => a - b);

// ---- report
const base = 'idle gateway';
console.log(`\n${fmt(SIZE)} indicators; resident memory against an ${base} of ${fmt(idleRss, 0)} MiB in the same run:`);
console.log('gateway   RSS MiB   over idle MiB   bytes/indicator   listed names blocked   verdict median ms');
for (const g of gateways) {
  const over = g.rss - idleRss;
  console.log(
    `${g.name.padEnd(9)} ${fmt(g.rss, 0).padStart(7)}   ${fmt(over, 0).padStart(13)}   ${fmt((over * 1024 * 1024) / SIZE, 1).padStart(15)}   ${String(g.blockedAll).padStart(20)}   ${fmt(g.verdictMedianMs, 2).padStart(17)}`,
  );
}
const [f, e] = gateways;
console.log(`edge/full memory over idle: ${fmt((e.rss - idleRss) / (f.rss - idleRss), 3)}`);
console.log(`redis: ${fmt((usedMemory - baseMemory) / SIZE, 0)} bytes per indicator for the versions it holds (sections and index)`);
console.log(`write to last gateway swap over ${swaps.length} changes: median ${fmt(swaps[Math.floor(swaps.length / 2)], 0)} ms, max ${fmt(swaps[swaps.length - 1], 0)} ms`);
await sub.quit();
await redis.quit();
process.exit(0);
