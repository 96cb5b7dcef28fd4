// Shared pieces of the benchmarks: generated indicators, timing, and the set build the
// syncer does, all from the compiled code in dist/.
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { buildIndicatorSet } from '../dist/indicators/build.js';
import { ObservationList } from '../dist/indicators/observations.js';
import { compileSet } from '../dist/match/compile.js';
import { Matcher } from '../dist/match/matcher.js';

/** Deterministic pseudo-random generator, so every run measures the same names. */
export function rng(seed = 42) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x ^= x + Math.imul(x ^ (x >>> 7), 61 | x);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['cdn', 'api', 'login', 'secure', 'mail', 'update', 'files', 'auth', 'pay', 'shop', 'img', 'static'];
const TLDS = ['com', 'net', 'org', 'info', 'xyz', 'top', 'ru', 'io', 'co.uk', 'de'];

/** `count` distinct domain names shaped like real blocklist entries. */
export function makeDomains(count, seed = 1, tag = 'x') {
  const next = rng(seed);
  const out = new Array(count);
  for (let i = 0; i < count; i++) {
    const word = WORDS[Math.floor(next() * WORDS.length)];
    const tld = TLDS[Math.floor(next() * TLDS.length)];
    out[i] = `${word}-${tag}${i.toString(36)}.${Math.floor(next() * 1e6).toString(36)}-host.${tld}`;
  }
  return out;
}

/** Builds a matcher from plain domain values the way the syncer does. */
export function buildMatcher(domains) {
  const observations = new ObservationList();
  for (const value of domains) observations.push({ type: 'domain', value, action: 'block' });
  const { set } = buildIndicatorSet({
    version: 1,
    now: 1_700_000_000,
    policy: { block_at: 70, monitor_at: 40 },
    feeds: [{ feed: 'bench', confidence: 80, listedAt: 1_700_000_000, observations }],
    allowlists: [],
  });
  return new Matcher(compileSet(set));
}

/** Median ns per call of `fn` over `rounds` rounds of `names`. */
export function nsPerOp(names, fn, rounds = 5) {
  const samples = [];
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < names.length; i++) if (fn(names[i])) sink++;
    samples.push(Number(process.hrtime.bigint() - start) / names.length);
  }
  samples.sort((a, b) => a - b);
  return { ns: samples[Math.floor(samples.length / 2)], sink };
}

export function fmt(n, digits = 0) {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** A TCP port free on 127.0.0.1 at the moment of asking. */
export function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Resident memory of a process, MiB. */
export function rssMiB(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
}

/** Milliseconds until `check` (sync or async) holds, asked every `everyMs`; throws after `timeoutMs`. */
export async function waitFor(what, check, timeoutMs, everyMs = 100) {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Writes lines to a file in blocks, without one string of the whole file. */
export function writeLines(path, lines) {
  return new Promise((resolve) => {
    const out = createWriteStream(path);
    for (let i = 0; i < lines.length; i += 10_000) out.write(`${lines.slice(i, i + 10_000).join('\n')}\n`);
    out.end(resolve);
  });
}
