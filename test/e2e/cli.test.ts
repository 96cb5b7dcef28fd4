// The CLI contract of DESIGN.md: commands, outputs and exit statuses (0 ok, 1 runtime, 2 usage).
import t from 'tap';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sluice } from '../helpers/cli.js';
import { fixture } from '../helpers/feeds.js';

function workspace(config: string, files: Record<string, string | Buffer> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
  writeFileSync(join(dir, 'sluice.yaml'), config);
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return join(dir, 'sluice.yaml');
}

t.test('a config error exits 2 and names the file, line and key', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['dns:\n  listn: ["127.0.0.1:53"]\n', /sluice\.yaml: invalid config: line 2: dns\.listn: unknown key listn/],
    ['policy:\n  block_at: high\n', /line 2: policy\.block_at: Invalid input: expected number/],
    ['feeds:\n  - name: a\n    url: ./a.txt\n    format: text\n    interval: soon\n', /line 5: feeds\[0\]\.interval: interval must be a duration/],
    ['dns:\n  upstream: ["dns.google:53"]\n', /dns\.upstream\[0\]: must be an address and port/],
    ['feeds: [ {name: a\n', /sluice\.yaml:\d+: YAML syntax/],
  ];
  for (const [yaml, message] of cases) {
    const res = await sluice(['check', '--config', workspace(yaml), 'example.com']);
    t.equal(res.code, 2, yaml);
    t.match(res.stderr, message, yaml);
  }
  // An edge gateway runs one DNS process; the same config serves a syncer with its workers.
  const edge = workspace('store: redis\nredis:\n  url: redis://127.0.0.1:1/0\n  gateway: { memory: edge }\ndns:\n  listen: []\n  workers: 2\n');
  const gateway = await sluice(['serve', '--config', edge, '--role', 'gateway']);
  t.equal(gateway.code, 2, 'edge gateway with dns.workers: 2');
  t.match(gateway.stderr, /edge gateway \(redis.gateway.memory: edge\) runs one DNS process; set dns.workers: 1/);
  const missing = await sluice(['serve', '--config', '/nonexistent/sluice.yaml']);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /\/nonexistent\/sluice\.yaml: cannot read config: ENOENT/);
});

t.test('bad usage exits 2 with the reason', async (t) => {
  for (const [args, message] of [
    [['frobnicate'], /unknown command frobnicate/],
    [['sync', '--config', 'x.yaml'], /pass --once/],
    [['check', '--bogus'], /Unknown option '--bogus'/],
    [['check'], /give at least one VALUE/],
    [['export', '--type', 'color'], /--type must be one of ip, domain, url, hash/],
  ] as const) {
    const res = await sluice([...args]);
    t.equal(res.code, 2, args.join(' '));
    t.match(res.stderr, message);
  }
});

t.test('sync --once, check and export work from the saved set', async (t) => {
  const config = workspace(
    [
      'data_dir: ./data',
      'feeds:',
      '  - { name: ips, url: ./ips.csv, format: csv, csv: { column: 0 }, confidence: 90 }',
      '  - { name: hosts, url: ./hosts.txt, format: hosts, confidence: 80 }',
      'allowlist:',
      '  - value: 1.1.1.1',
      '    reason: public resolver',
      // The bundled list of public resolvers would hold all of 1.1.1.0/24; this test is about
      // carving one allowlisted address out of a listed network.
      'warninglists: { public-dns-v4: off }',
    ].join('\n'),
    { 'ips.csv': fixture('feeds/suricata-iprep-data-cr-lf.txt'), 'hosts.txt': fixture('feeds/blocklistproject-ransomware.txt') },
  );
  const before = await sluice(['check', '--config', config, 'example.com']);
  t.equal(before.code, 1, 'check without a saved set is a runtime failure');
  t.match(before.stderr, /no indicator set saved yet; run sluice sync --once/);

  const sync = await sluice(['sync', '--config', config, '--once']);
  t.equal(sync.code, 0, sync.stderr);
  t.match(sync.stdout, /^ips\s+ok\s+3 entries, 0 invalid, 0 skipped, 0 held by guards$/m);
  t.match(sync.stdout, /^hosts\s+ok\s+1904 entries/m);
  t.match(sync.stdout, /set version 1 written/);

  const check = await sluice(['check', '--config', config, '--json', '1.1.1.7', '1.1.1.1', '27c73bq66y4xqoh7.dorfact.at', 'a..b']);
  t.equal(check.code, 2, 'an unreadable value makes the status 2 after the others');
  const [net, resolver, host] = check.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.match(net, { verdict: 'block', match: { indicator: '1.1.1.0/24', kind: 'cidr' }, sources: [{ feed: 'ips', line: 3 }] });
  t.match(resolver, { verdict: 'allow', allowlist: [{ list: 'allowlist:inline', reason: 'public resolver' }] });
  t.match(host, { verdict: 'block', score: 80 });
  t.match(check.stderr, /a\.\.b.*empty label/);

  const text = await sluice(['check', '--config', config, 'sub.27c73bq66y4xqoh7.dorfact.at']);
  t.match(text.stdout, /^sub\.27c73bq66y4xqoh7\.dorfact\.at: BLOCK \(score 80, set version 1\)\n  match: 27c73bq66y4xqoh7\.dorfact\.at \(domain, parent\)\n  - .* listed by hosts line \d+, confidence 80/);

  const ips = await sluice(['export', '--config', config, '--type', 'ip']);
  t.equal(ips.code, 0);
  t.equal(ips.stdout, '1.2.3.4\n1.2.3.5\n1.1.1.0\n1.1.1.2/31\n1.1.1.4/30\n1.1.1.8/29\n1.1.1.16/28\n1.1.1.32/27\n1.1.1.64/26\n1.1.1.128/25\n', 'allowlisted 1.1.1.1 is carved out of 1.1.1.0/24');
  const none = await sluice(['export', '--config', config, '--type', 'url']);
  t.match(none.stdout, /^# sluice url list, set version 1: no entries\n$/);
});

t.test('sync --once exits 1 when a feed fails, and still writes what it has', async (t) => {
  const config = workspace(
    ['data_dir: ./data', 'sync: { retries: 0, timeout: 1s }', 'feeds:', '  - { name: good, url: ./good.txt, format: text }', '  - { name: gone, url: ./missing.txt, format: text }'].join('\n'),
    { 'good.txt': 'bad.example.com\n' },
  );
  const res = await sluice(['sync', '--config', config, '--once']);
  t.equal(res.code, 1);
  t.match(res.stdout, /^gone\s+failing\s+feed gone: .*missing\.txt: ENOENT/m);
  t.match(res.stdout, /set version 1 written/);
});
