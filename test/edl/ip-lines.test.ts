import t from 'tap';
import '../helpers/quiet.js';
import { matcherFor } from '../helpers/feeds.js';
import { listLines } from '../../src/edl/select.js';

t.test('IP lists never block what the allowlist allows', async (t) => {
  const m = matcherFor(
    [{ name: 'nets', format: 'text', type: 'ip', body: '10.0.0.0/8\n192.0.2.0/24\n192.0.2.9\n198.51.100.5\n2001:db8::/32\n' }],
    '10.128.0.0/9\n192.0.2.0/25\n198.51.100.5\n2001:db8:8000::/33\n',
  );
  t.same(listLines(m, { kind: 'ip' }), ['10.0.0.0/9', '192.0.2.128/25', '2001:db8::/33']);
});

t.test('carving an address out of a network keeps every other address', async (t) => {
  const m = matcherFor([{ name: 'n', format: 'text', type: 'ip', body: '203.0.113.0/24\n' }], '203.0.113.77\n');
  const lines = listLines(m, { kind: 'ip' });
  let covered = 0;
  for (const line of lines) covered += 2 ** (32 - Number(line.split('/')[1] ?? 32));
  t.equal(covered, 255, 'all 256 addresses but the allowed one');
  t.notOk(lines.some((l) => l === '203.0.113.77' || l.startsWith('203.0.113.76/')), 'the allowed address is in no line');
});

t.test('domain and URL lists leave out what an allowlisted parent or host allows', async (t) => {
  const m = matcherFor(
    [
      { name: 'd', format: 'text', type: 'domain', body: 'ads.shop.example.net\nbad.example.org\nimg.cdn.example.com\n' },
      { name: 'u', format: 'text', type: 'url', body: 'http://files.shop.example.net/x.exe\nhttp://bad.example.org/y\n' },
    ],
    'shop.example.net\ncdn.example.com\n',
  );
  t.same(listLines(m, { kind: 'domain' }), ['bad.example.org']);
  t.same(listLines(m, { kind: 'url' }), ['http://bad.example.org/y']);
});
