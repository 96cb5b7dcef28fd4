// The answer cache's bounds with a controlled clock: least recently used answers leave first,
// answers leave at their TTL, and each hit comes back with the asker's id and aged TTLs.
import t from 'tap';
import { AnswerCache } from '../../src/dns/cache.js';
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
    cache.put(name, reply, walkRecords(reply, questionEnd)!, 300);
  }
  now += 2;
  const hit = cache.get('a.example', 0x4242, question('a.example', 0x4242).subarray(12))!;
  t.equal(hit.reply.readUInt16BE(0), 0x4242, "the asker's id");
  t.equal(hit.reply.readUInt32BE(hit.reply.length - 10), 298, 'the TTL aged by the 2 s it spent here');

  const { reply, questionEnd } = answer('d.example', 300);
  cache.put('d.example', reply, walkRecords(reply, questionEnd)!, 300);
  t.equal(cache.size, 3, 'bounded');
  t.ok(cache.get('a.example', 1, question('a.example', 1).subarray(12)), 'the answer just used stays');
  t.notOk(cache.get('b.example', 1, question('b.example', 1).subarray(12)), 'the least recently used left');

  now += 301;
  t.notOk(cache.get('a.example', 1, question('a.example', 1).subarray(12)), 'gone at its TTL');
});
