// The answer cache's bounds with a controlled clock: least recently used answers leave first,
// answers leave at their TTL, and each hit comes back with the asker's id and aged TTLs.
import t from 'tap';
import { AnswerCache, variantOf } from '../../src/dns/cache.js';
import { walkRecords } from '../../src/dns/records.js';

function question(name: string, id: number): Buffer {
  const parts = [Buffer.from([id >> 8, id & 255, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0])];
  for (const label of name.split('.')) parts.push(Buffer.from([label.length]), Buffer.from(label));
  parts.push(Buffer.from([0, 0, 1, 0, 1]));
  return Buffer.concat(parts);
}

function answer(name: string, ttl: number): { reply: Buffer; questionEnd: number } {
  const q = question(name, 7);
  const rr = Buffer.from([0xc0, 12, 0, 1, 0, 1, (ttl >>> 24) & 255, (ttl >>> 16) & 255, (ttl >>> 8) & 255, ttl & 255, 0, 4, 192, 0, 2, 1]);
  const reply = Buffer.concat([q, rr]);
  reply[2] = 0x81;
  reply[3] = 0x80;
  reply[7] = 1;
  return { reply, questionEnd: q.length };
}

t.test('least recently used leaves first; TTLs age and expire', async (t) => {
  let now = 1000;
  const cache = new AnswerCache(3, () => now);
  for (const name of ['a.example', 'b.example', 'c.example']) {
    const { reply, questionEnd } = answer(name, 300);
    cache.put(name, 0, reply, walkRecords(reply, questionEnd)!, 300);
  }
  now += 2;
  const hit = cache.get('a.example', 0, 0x4242, question('a.example', 0x4242).subarray(12))!;
  t.equal(hit.message.readUInt16BE(0), 0x4242, "the asker's id");
  t.equal(hit.message.readUInt32BE(hit.message.length - 10), 298, 'the TTL aged by the 2 s it spent here');

  const { reply, questionEnd } = answer('d.example', 300);
  cache.put('d.example', 0, reply, walkRecords(reply, questionEnd)!, 300);
  t.equal(cache.size, 3, 'bounded');
  t.ok(cache.get('a.example', 0, 1, question('a.example', 1).subarray(12)), 'the answer just used stays');
  t.notOk(cache.get('b.example', 0, 1, question('b.example', 1).subarray(12)), 'the least recently used left');

  now += 301;
  t.notOk(cache.get('a.example', 0, 1, question('a.example', 1).subarray(12)), 'gone at its TTL');
});

t.test('one name keeps its variants apart, and the bound counts every variant', async (t) => {
  const now = 1000;
  const cache = new AnswerCache(3, () => now);
  const a = variantOf(1, 1, false, false);
  const aDo = variantOf(1, 1, true, false);
  const aCd = variantOf(1, 1, false, true);
  const aaaa = variantOf(28, 1, false, false);
  t.equal(new Set([a, aDo, aCd, aaaa, variantOf(1, 3, false, false), variantOf(65535, 65535, true, true)]).size, 6, 'distinct numbers');
  const put = (name: string, variant: number, ttl = 300) => {
    const { reply, questionEnd } = answer(name, ttl);
    cache.put(name, variant, reply, walkRecords(reply, questionEnd)!, ttl);
  };
  put('x.example', a);
  put('x.example', aDo, 100);
  t.equal(cache.size, 2);
  const q = question('x.example', 9).subarray(12);
  t.equal(cache.get('x.example', aDo, 9, q)!.message.readUInt32BE(q.length + 12 + 6), 100, 'the DO answer, not the plain one');
  t.equal(cache.get('x.example', aaaa, 9, q), undefined, 'no AAAA was put');
  put('y.example', a);
  put('z.example', a);
  t.equal(cache.size, 2, 'over the bound, the oldest name left with both its answers');
  t.equal(cache.get('x.example', a, 9, q), undefined);
  t.ok(cache.get('y.example', a, 9, question('y.example', 9).subarray(12)));
  t.ok(cache.get('z.example', a, 9, question('z.example', 9).subarray(12)));
  put('z.example', a);
  t.equal(cache.size, 2, 'putting an answer again does not count it twice');
});

t.test('an answer put again moves its name to the recently used end, its other variants kept', async (t) => {
  const cache = new AnswerCache(3, () => 1000);
  const put = (name: string, variant: number) => {
    const { reply, questionEnd } = answer(name, 300);
    cache.put(name, variant, reply, walkRecords(reply, questionEnd)!, 300);
  };
  put('a.example', 1);
  put('a.example', 2);
  put('b.example', 1);
  put('a.example', 1);
  t.equal(cache.size, 3);
  put('c.example', 1);
  const q = (name: string) => question(name, 5).subarray(12);
  t.notOk(cache.get('b.example', 1, 5, q('b.example')), 'b was the least recently used');
  t.ok(cache.get('a.example', 1, 5, q('a.example')), 'a, put again, stays');
  t.ok(cache.get('a.example', 2, 5, q('a.example')), 'with its other variant');
  t.equal(cache.size, 3);
});
