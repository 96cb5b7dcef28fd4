// DNS benchmark: sluice against Unbound with an RPZ zone of the same names, in the same run,
// under dnsperf, for three query mixes (all blocked, all allowed, 10% blocked). Prints qps,
// p99 latency and resident memory of each, and the sluice/Unbound ratios.
//
// Usage: npm run build && node bench/dns.mjs [--size 1000000] [--seconds 10] [--workers 1] [--udp-io auto|node]
//        [--unbound-threads 1]   (Unbound's own default is one thread)
// Needs dnsperf and unbound (Debian packages). Everything listens on 127.0.0.1 only.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt, freePort, makeDomains, rssMiB, waitFor, writeLines } from './common.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const SIZE = arg('size', 1_000_000);
const SECONDS = arg('seconds', 10);
const WORKERS = arg('workers', 1);
const UNBOUND_THREADS = arg('unbound-threads', 1);
const UDP_IO = process.argv.includes('--udp-io') ? process.argv[process.argv.indexOf('--udp-io') + 1] : 'auto';
const ALLOWED_NAMES = 2000;
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-dns-'));
const children = [];
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function dig(port, name) {
  try {
    return execFileSync('dig', ['@127.0.0.1', '-p', String(port), '+time=1', '+tries=1', name, 'A'], { encoding: 'utf8' });
  } catch (err) {
    return String(err.stdout ?? '');
  }
}

// ---- data: the listed names, the allowed names an upstream answers, three query mixes
console.log(`generating ${fmt(SIZE)} listed names`);
const listed = makeDomains(SIZE, 11, 'b');
const allowed = Array.from({ length: ALLOWED_NAMES }, (_, i) => `ok${i}.allowed.test`);
await writeLines(join(dir, 'listed.txt'), listed);
// The same names for Unbound: each name and the names below it, as sluice blocks them.
await writeLines(join(dir, 'rpz.zone'), [
  '$TTL 300',
  '@ SOA localhost. hostmaster.localhost. 1 3600 600 86400 300',
  '  NS localhost.',
  ...listed.flatMap((n) => [`${n} CNAME .`, `*.${n} CNAME .`]),
]);
const QUERIES = 200_000;
const pickListed = (i) => listed[(i * 7919) % listed.length];
const mixes = {
  'all blocked': Array.from({ length: QUERIES }, (_, i) => `${pickListed(i)} A`),
  'all allowed': Array.from({ length: QUERIES }, (_, i) => `${allowed[i % ALLOWED_NAMES]} A`),
  '10% blocked': Array.from({ length: QUERIES }, (_, i) => (i % 10 === 0 ? `${pickListed(i)} A` : `${allowed[i % ALLOWED_NAMES]} A`)),
};
for (const [name, lines] of Object.entries(mixes)) await writeLines(join(dir, `${name.replace(/\W+/g, '-')}.q`), lines);

// ---- the upstream both forward to: an Unbound answering the allowed zone from local data
const upstreamPort = await freePort();
writeFileSync(join(dir, 'upstream.conf'), [
  'server:',
  `  interface: 127.0.0.1@${upstreamPort}`, `  port: ${upstreamPort}`, '  do-ip6: no', '  do-daemonize: no', '  chroot: ""', '  username: ""',
  `  directory: "${dir}"`, '  pidfile: ""', '  use-syslog: no', '  verbosity: 0', '  access-control: 127.0.0.0/8 allow',
  '  local-zone: "allowed.test." static',
  ...allowed.map((n) => `  local-data: "${n}. 300 IN A 192.0.2.1"`),
  'remote-control:', '  control-enable: no',
].join('\n'));
children.push(spawn('unbound', ['-d', '-c', join(dir, 'upstream.conf')], { stdio: 'ignore' }));
await waitFor('the upstream', () => dig(upstreamPort, 'ok1.allowed.test').includes('192.0.2.1'), 30_000, 250);

// ---- sluice
const sluicePort = await freePort();
const httpPort = await freePort();
writeFileSync(join(dir, 'sluice.yaml'), [
  `data_dir: ${join(dir, 'data')}`,
  'log: { level: warn }',
  `dns: { listen: ["127.0.0.1:${sluicePort}"], upstream: ["127.0.0.1:${upstreamPort}"], block_response: nxdomain, workers: ${WORKERS}, udp_io: ${UDP_IO} }`,
  `http: { listen: "127.0.0.1:${httpPort}" }`,
  'guards: { max_change: 0 }',
  'warninglists: { tranco10k: off, majestic_million: off, cisco_top1000: off }',
  'feeds:',
  `  - { name: listed, url: ${join(dir, 'listed.txt')}, format: text, type: domain, confidence: 90 }`,
].join('\n'));
const sluice = spawn(process.execPath, [CLI, 'serve', '--config', join(dir, 'sluice.yaml')], { stdio: 'ignore' });
children.push(sluice);
const sluiceLoad = await waitFor('sluice to load the set', () => dig(sluicePort, listed[1]).includes('NXDOMAIN'), 300_000, 250);

// ---- Unbound with the RPZ zone
const unboundPort = await freePort();
writeFileSync(join(dir, 'unbound.conf'), [
  'server:',
  `  interface: 127.0.0.1@${unboundPort}`, `  port: ${unboundPort}`, '  do-ip6: no', '  do-daemonize: no', '  chroot: ""', '  username: ""',
  `  directory: "${dir}"`, '  pidfile: ""', '  use-syslog: no', '  verbosity: 0', '  access-control: 127.0.0.0/8 allow',
  '  do-not-query-localhost: no', '  module-config: "respip iterator"', `  num-threads: ${UNBOUND_THREADS}`,
  'rpz:', '  name: "rpz.test."', `  zonefile: "${join(dir, 'rpz.zone')}"`,
  'forward-zone:', '  name: "."', `  forward-addr: 127.0.0.1@${upstreamPort}`,
  'remote-control:', '  control-enable: no',
].join('\n'));
const unbound = spawn('unbound', ['-d', '-c', join(dir, 'unbound.conf')], { stdio: 'ignore' });
children.push(unbound);
const unboundLoad = await waitFor('unbound to load the zone', () => dig(unboundPort, listed[1]).includes('NXDOMAIN'), 600_000, 250);
console.log(`loaded: sluice (dns.workers: ${WORKERS}) in ${fmt(sluiceLoad / 1000, 1)} s, unbound (num-threads: ${UNBOUND_THREADS}) in ${fmt(unboundLoad / 1000, 1)} s`);

// ---- dnsperf: qps from its summary, p99 from per-query latencies (-v)
function dnsperf(port, file) {
  const out = execFileSync('dnsperf', ['-s', '127.0.0.1', '-p', String(port), '-d', file, '-l', String(SECONDS), '-c', '8', '-q', '200', '-v'], {
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  const qps = Number(/Queries per second:\s+([\d.]+)/.exec(out)[1]);
  const latencies = [];
  for (const m of out.matchAll(/> \S+ \S+ \S+ ([\d.]+)$/gm)) latencies.push(Number(m[1]));
  latencies.sort((a, b) => a - b);
  const p99 = latencies.length ? latencies[Math.floor(latencies.length * 0.99)] * 1000 : Number.NaN;
  const lost = Number(/Queries lost:\s+(\d+)/.exec(out)?.[1] ?? 0);
  return { qps, p99, lost };
}

const rows = [];
for (const [name] of Object.entries(mixes)) {
  const file = join(dir, `${name.replace(/\W+/g, '-')}.q`);
  const s = dnsperf(sluicePort, file);
  const u = dnsperf(unboundPort, file);
  rows.push({ name, s, u });
  console.log(
    `${name.padEnd(12)} sluice ${fmt(s.qps).padStart(8)} qps p99 ${fmt(s.p99, 2)} ms (lost ${s.lost}) | unbound ${fmt(u.qps).padStart(8)} qps p99 ${fmt(u.p99, 2)} ms (lost ${u.lost}) | qps ratio ${fmt(s.qps / u.qps, 2)}`,
  );
}
// The gateway is the main process and any worker processes together (DNS threads, the
// default with the batched helper, are inside the main process).
const children_ = (() => {
  try {
    return execFileSync('pgrep', ['-P', String(sluice.pid)], { encoding: 'utf8' });
  } catch {
    return ''; // pgrep exits 1 when there are none
  }
})();
const workerPids = children_.trim().split('\n').filter(Boolean).map(Number);
const sMem = [sluice.pid, ...workerPids].reduce((sum, pid) => sum + rssMiB(pid), 0);
const uMem = rssMiB(unbound.pid);
console.log(`memory (RSS): sluice ${fmt(sMem)} MiB, unbound ${fmt(uMem)} MiB, ratio ${fmt(sMem / uMem, 2)} (target <= 0.33)`);
console.log(`qps ratios sluice/unbound: ${rows.map((r) => `${r.name} ${fmt(r.s.qps / r.u.qps, 2)}`).join(', ')} (target >= 0.95)`);

// ---- Node's own UDP socket, doing nothing but flip the reply bit (one process per worker
// asked for, sharing the port through the cluster), under the same load: the ceiling of a DNS
// server on node:dgram here, which sluice's batched helper exists to get past.
sluice.kill('SIGKILL');
await sleep(500);
const floorPort = await freePort();
const floorCode = `
const cluster = require('node:cluster');
const dgram = require('node:dgram');
const n = ${WORKERS};
if (n > 1 && cluster.isPrimary) { for (let i = 0; i < n; i++) cluster.fork(); }
else {
  const s = dgram.createSocket('udp4');
  s.on('message', (m, r) => { m[2] |= 0x80; s.send(m, r.port, r.address); });
  s.bind(${floorPort}, '127.0.0.1');
}`;
// A file, not -e: cluster workers run the primary's script.
writeFileSync(join(dir, 'floor.cjs'), floorCode);
const floor = spawn(process.execPath, [join(dir, 'floor.cjs')], { stdio: 'ignore' });
children.push(floor);
await sleep(1000);
const f = dnsperf(floorPort, join(dir, 'all-allowed.q'));
const best = Math.max(...rows.map((r) => r.u.qps));
console.log(
  `node:dgram doing nothing (${WORKERS} process${WORKERS > 1 ? 'es' : ''}) answers ${fmt(f.qps)} qps, ${fmt(f.qps / best, 2)} of Unbound's best mix; sluice's best mix reaches ${fmt(Math.max(...rows.map((r) => r.s.qps)) / f.qps, 2)} of it`,
);
process.exit(0);
