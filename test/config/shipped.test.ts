import t from 'tap';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';

const here = (p: string) => fileURLToPath(new URL(`../../config/${p}`, import.meta.url));

t.test('the example config sets every key and loads', async (t) => {
  const config = loadConfig(here('sluice.example.yaml'));
  t.equal(config.feeds.length, 4);
  t.match(config.feeds[1], { format: 'csv', csv: { column: 'ioc_value', type_column: 'ioc_type', tag_columns: ['malware_printable'] } });
  t.match(config.allowlist, [{ path: here('allowlist.txt') }, { value: 'intranet.example.com', reason: 'our own services' }]);
  t.equal(config.dns.upstream_timeout, 2000);
  t.equal(config.sync.max_bytes, 64_000_000);
});

t.test('the default config loads with its local list and allowlist', async (t) => {
  const config = loadConfig(here('sluice.yaml'));
  t.ok(config.feeds.some((f) => f.url === here('local-blocklist.txt')));
  t.same(config.dns.allow_clients, ['127.0.0.0/8', '::1/128'], 'never an open resolver by default');
  t.equal(config.http.listen, '127.0.0.1:8080');
});
