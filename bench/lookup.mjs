// Lookup benchmark: ns per negative and positive check against 1M listed domains, beside a
// plain Set of the same names in the same run, and beside bloom-filters' own default hashing.
// Usage: npm run bench:lookup  [-- --size N]
import bloomFilters from 'bloom-filters';
import { buildMatcher, fmt, makeDomains, nsPerOp } from './common.mjs';

const size = Number(process.argv[process.argv.indexOf('--size') + 1]) || 1_000_000;
const QUERIES = 200_000;

const listed = makeDomains(size, 1, 'l');
const matcher = buildMatcher(listed);
const plain = new Set(listed);

// Queries arrive as fresh strings decoded from packets or URLs, never as the very string
// objects the set was built from (V8 would then compare pointers and skip the hashing).
const fresh = (s) => Buffer.from(s, 'latin1').toString('latin1');
const negatives = makeDomains(QUERIES, 2, 'n').map((n, i) => fresh(i % 2 ? `www.${n}` : n));
const positives = listed.filter((_, i) => i % Math.ceil(size / QUERIES) === 0).slice(0, QUERIES).map(fresh);
const subdomains = positives.map((n) => fresh(`a.b.${n}`));

// A Set cannot walk parents by itself; give it the same walk so the baseline does equal work.
const setWalk = (name) => {
  for (let at = 0; ; ) {
    if (plain.has(at === 0 ? name : name.slice(at))) return true;
    const dot = name.indexOf('.', at);
    if (dot < 0) return false;
    at = dot + 1;
  }
};

const rows = [
  ['negative (not listed)', negatives],
  ['positive (exact)', positives],
  ['positive (subdomain)', subdomains],
].map(([label, names]) => {
  const ours = nsPerOp(names, (n) => matcher.lookupDomain(n) !== undefined);
  const base = nsPerOp(names, setWalk);
  return { label, ours: ours.ns, base: base.ns, hits: ours.sink, baseHits: base.sink };
});

// The library's default hashing, for the record: one filter of the same size and rate.
const slow = bloomFilters.BloomFilter.create(size, 0.01);
for (let i = 0; i < 50_000; i++) slow.add(listed[i]);
const slowNs = nsPerOp(negatives.slice(0, 20_000), (n) => slow.has(n), 3).ns;
const fastNs = nsPerOp(negatives, (n) => matcher.set && matcher.lookupDomain(n) !== undefined).ns;

console.log(`lookup benchmark: ${fmt(size)} listed domains, ${fmt(QUERIES)} queries per row, node ${process.version}`);
console.log('');
console.log('check                      sluice ns   Set+walk ns   ratio (sluice/Set)');
for (const r of rows) {
  console.log(`${r.label.padEnd(26)} ${fmt(r.ours, 0).padStart(9)}   ${fmt(r.base, 0).padStart(11)}   ${fmt(r.ours / r.base, 2).padStart(8)}`);
}
console.log('');
console.log(`bloom-filters default hashing, one negative check: ${fmt(slowNs, 0)} ns`);
console.log(`sluice negative check (Bloom with fast hashing + table): ${fmt(fastNs, 0)} ns`);
console.log(`ratio default/sluice: ${fmt(slowNs / fastNs, 1)}x`);
const rounds = 5;
const wrong = rows[0].hits !== 0 || rows[1].hits !== positives.length * rounds || rows[2].hits !== subdomains.length * rounds;
if (wrong) {
  console.error('MISMATCH: lookups gave wrong answers', rows);
  process.exit(1);
}
