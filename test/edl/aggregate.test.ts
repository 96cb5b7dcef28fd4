import t from 'tap';
import { aggregate, blocks, cidrInterval } from '../../src/edl/aggregate.js';

const agg = (...cidrs: string[]) => aggregate(cidrs.map(cidrInterval));

t.test('adjacent networks merge into the covering one', async (t) => {
  t.same(agg('192.0.2.0/25', '192.0.2.128/25'), ['192.0.2.0/24']);
  t.same(agg('10.0.0.0', '10.0.0.1', '10.0.0.2', '10.0.0.3'), ['10.0.0.0/30'], 'four addresses are a /30');
  t.same(agg('10.0.0.2/31', '10.0.0.0/31', '10.0.0.4/30'), ['10.0.0.0/29'], 'in any order');
});

t.test('covered networks and duplicates are dropped', async (t) => {
  t.same(agg('198.51.100.0/24', '198.51.100.7', '198.51.100.64/26', '198.51.100.0/24'), ['198.51.100.0/24']);
  t.same(agg('10.0.0.0/8', '10.1.0.0/16', '11.0.0.0/8'), ['10.0.0.0/7']);
});

t.test('adjacent but unaligned networks stay apart: no CIDR covers exactly their union', async (t) => {
  t.same(agg('10.0.0.1', '10.0.0.2'), ['10.0.0.1', '10.0.0.2']);
  t.same(agg('192.0.2.128/25', '192.0.3.0/25'), ['192.0.2.128/25', '192.0.3.0/25']);
  t.same(agg('10.0.0.1', '10.0.0.2/31'), ['10.0.0.1', '10.0.0.2/31'], '.1-.3 is three addresses: two blocks');
});

t.test('IPv6 merges the same way and comes after IPv4', async (t) => {
  t.same(agg('2001:db8:8000::/33', '10.0.0.0/8', '2001:db8::/33', '2001:db8:ffff::1'), ['10.0.0.0/8', '2001:db8::/32']);
  t.same(agg('2001:db8::', '2001:db8::1'), ['2001:db8::/127']);
  t.same(agg('::', '::1'), ['::/127'], 'the zero address as well');
});

t.test('a range becomes its fewest CIDRs', async (t) => {
  t.same(blocks({ family: 4, start: 1n, end: 6n }), ['0.0.0.1', '0.0.0.2/31', '0.0.0.4/31', '0.0.0.6']);
  t.same(blocks({ family: 4, start: 0n, end: 2n ** 32n - 1n }), ['0.0.0.0/0']);
  t.same(blocks({ family: 6, start: 0n, end: 2n ** 128n - 1n }), ['::/0']);
});

t.test('the result never overlaps itself (nft interval sets require it)', async (t) => {
  const random = (seed: number) => () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  const next = random(7);
  const cidrs = Array.from({ length: 400 }, () => `10.0.${next() % 4}.${next() % 256}/${24 + (next() % 9)}`).map((c) => {
    const [a, p] = c.split('/');
    const i = cidrInterval(`${a}/32`);
    const host = 32n - BigInt(p!);
    const start = (i.start >> host) << host;
    return { family: 4 as const, start, end: start | ((1n << host) - 1n) };
  });
  const out = aggregate(cidrs).map(cidrInterval);
  for (let i = 1; i < out.length; i++) t.ok(out[i]!.start > out[i - 1]!.end, 'sorted and apart');
  const covered = (addr: bigint, list: Array<{ start: bigint; end: bigint }>) => list.some((r) => r.start <= addr && addr <= r.end);
  let same = true;
  for (let a = cidrInterval('10.0.0.0').start; a <= cidrInterval('10.0.3.255').start; a++) {
    if (covered(a, cidrs) !== covered(a, out)) same = false;
  }
  t.ok(same, 'covers exactly the same addresses');
});
