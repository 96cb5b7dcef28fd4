// Retro-hunt over real logs: Zeek TSV and JSON, Suricata EVE, nginx access logs, gzip.
import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FIXTURES, matcherFor } from '../helpers/feeds.js';
import { sluice } from '../helpers/cli.js';
import { correlate, type Finding } from '../../src/correlate/index.js';
import { classify, extractFromText } from '../../src/correlate/extract.js';

const LOGS = join(FIXTURES, 'logs');
const SSL_HASH = 'b2dafbcdbc75210672f137f27ce882ccb799887631655d4f11191d5a678e44fe';
const FEED = [
  'http://bits.wikimedia.org/skins-1.5/monobook/main.css',
  '208.80.152.3',
  'wrccdc.org',
  '1.2.3.4',
  '192.168.1.1',
  SSL_HASH,
].join('\n');

/** 1-based line of the first line of a file that contains every one of the strings. */
function lineOf(file: string, ...parts: string[]): number {
  return readFileSync(join(LOGS, file), 'utf8').split('\n').findIndex((l) => parts.every((p) => l.includes(p))) + 1;
}

async function all(files: string[]): Promise<Finding[]> {
  const m = matcherFor([{ name: 'hunt', format: 'text', type: 'auto', confidence: 90, body: FEED }]);
  const out: Finding[] = [];
  for await (const f of correlate(m, files.map((f) => join(LOGS, f)), { minVerdict: 'monitor' })) out.push(f);
  return out;
}

t.test('finds listed values in each log format, on the right line', async (t) => {
  const http = await all(['zeek-btest-opt.basic-http.log']);
  t.match(http.find((f) => f.value === 'http://bits.wikimedia.org/skins-1.5/monobook/main.css'), {
    format: 'zeek-tsv', field: 'host+uri', verdict: 'block', line: lineOf('zeek-btest-opt.basic-http.log', 'bits.wikimedia.org', 'main.css'),
  });
  t.match(http.find((f) => f.value === '208.80.152.3'), { field: 'id.resp_h', line: lineOf('zeek-btest-opt.basic-http.log', '208.80.152.3') });

  const dns = await all(['zeek-dns-wrccdc2018-first200.ndjson']);
  const first = dns.find((f) => f.indicator === 'wrccdc.org');
  t.match(first, { format: 'json', field: 'query', value: 'ise.wrccdc.org', line: 1, time: '2018-03-24T17:15:20.865716Z' }, 'a name below a listed domain, with its time');

  const eve = await all(['crowdsec-suricata-eve.json']);
  t.match(eve.find((f) => f.value === '1.2.3.4'), { format: 'json', field: 'src_ip', line: lineOf('crowdsec-suricata-eve.json', '"src_ip":"1.2.3.4"') });

  const nginx = await all(['crowdsec-nginx-mixed.log']);
  t.match(nginx[0], { format: 'access', field: 'client', value: '192.168.1.1', line: 1, time: '04/Jan/2020:07:25:02 +0000' });
  t.equal(nginx.length, readFileSync(join(LOGS, 'crowdsec-nginx-mixed.log'), 'utf8').split('\n').filter((l) => l.includes('192.168.1.1')).length, 'once per line that has it, whatever the line looks like');

  const ssl = await all(['zeek-ssl-wrccdc2018-first300.log']);
  t.match(ssl[0], { value: SSL_HASH, indicator: SSL_HASH, time: '2018-03-24T17:15:20.615Z' });
});

t.test('DNS answers and plain text lines are searched; an unrelated feed finds nothing', async (t) => {
  const dns = await all(['zeek-btest-opt.basic-dns.log']);
  t.ok(dns.length > 0 && dns.every((f) => f.field === 'answers' && f.value === '208.80.152.3'), 'an address in a DNS answer');
  t.equal(dns[0]!.line, lineOf('zeek-btest-opt.basic-dns.log', '208.80.152.3'));
  const bind = await all(['crowdsec-bind9-security.log']);
  t.ok(bind.length > 0 && bind.every((f) => f.value === '192.168.1.1' && f.format === 'text'), 'plain text lines');
  const unrelated = matcherFor([{ name: 'other', format: 'text', body: 'nothing-here.example.net\n198.51.100.200\n' }]);
  const none: Finding[] = [];
  for await (const f of correlate(unrelated, ['zeek-btest-opt.basic-dns.log', 'crowdsec-suricata-eve.json'].map((f) => join(LOGS, f)), { minVerdict: 'monitor' })) none.push(f);
  t.same(none, []);
});

t.test('extraction is strict: file names and versions are not domains', async (t) => {
  t.equal(classify('index.php', 'x'), undefined);
  t.equal(classify('main.css', 'x'), undefined);
  t.equal(classify('1.2.3', 'x'), undefined);
  t.match(classify('Evil.Example.COM.', 'x'), { kind: 'domain', value: 'evil.example.com' });
  t.same(extractFromText('GET http://a.example.net/x?y=1 from 198.51.100.7, see 2001:db8::1 and host b.example.org.').map((c) => c.value), [
    'http://a.example.net/x?y=1', '198.51.100.7', '2001:db8::1', 'b.example.org',
  ]);
});

t.test('sluice correlate: gzip input, JSON output, progress on stderr, clear errors', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-correlate-'));
  writeFileSync(join(dir, 'hunt.txt'), `${FEED}\n`);
  writeFileSync(join(dir, 'sluice.yaml'), `data_dir: ./data\nfeeds:\n  - { name: hunt, url: ./hunt.txt, format: text, confidence: 90 }\n`);
  writeFileSync(join(dir, 'http.log.gz'), gzipSync(readFileSync(join(LOGS, 'zeek-btest-opt.basic-http.log'))));
  const synced = await sluice(['sync', '--once', '--config', join(dir, 'sluice.yaml')]);
  t.equal(synced.code, 0, synced.stderr);
  const run = await sluice(['correlate', '--config', join(dir, 'sluice.yaml'), '--format', 'json', join(dir, 'http.log.gz')]);
  t.equal(run.code, 0, run.stderr);
  const findings = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Finding);
  t.match(findings.find((f) => f.field === 'host+uri'), { verdict: 'block', feeds: ['hunt'], line: lineOf('zeek-btest-opt.basic-http.log', 'bits.wikimedia.org', 'main.css') });
  const text = await sluice(['correlate', '--config', join(dir, 'sluice.yaml'), join(dir, 'http.log.gz')]);
  t.match(text.stdout, /http\.log\.gz:\d+ \S+ host\+uri=http:\/\/bits\.wikimedia\.org\/skins-1\.5\/monobook\/main\.css BLOCK/);
  t.match(text.stderr, /\d+ findings? in 1 file/);
  const missing = await sluice(['correlate', '--config', join(dir, 'sluice.yaml'), join(dir, 'nope.log')]);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /nope\.log: ENOENT/);
  t.equal((await sluice(['correlate', '--config', join(dir, 'sluice.yaml')])).code, 2, 'no file: usage error');
});
