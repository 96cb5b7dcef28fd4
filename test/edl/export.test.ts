import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../helpers/quiet.js';
import { exportCommand } from '../../src/cli/export.js';
import { syncCommand } from '../../src/cli/sync.js';
import { loadConfig } from '../../src/config/load.js';
import { buildApp } from '../../src/http/app.js';
import { TokenAuth } from '../../src/http/auth.js';
import { AddressSet } from '../../src/match/cidr/address-set.js';
import { imageToSet } from '../../src/match/codec.js';
import { MatcherHolder } from '../../src/match/holder.js';
import { Matcher } from '../../src/match/matcher.js';
import { Metrics } from '../../src/metrics/registry.js';
import { openStore } from '../../src/store/open.js';

/** Runs a command in this process and returns what it wrote to stdout. */
async function stdoutOf(run: () => Promise<number>): Promise<{ code: number; out: string }> {
  const chunks: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => (chunks.push(String(chunk)), true)) as typeof process.stdout.write;
  try {
    const code = await run();
    return { code, out: chunks.join('') };
  } finally {
    process.stdout.write = write;
  }
}

t.test('sluice export --list NAME [--page N] writes exactly what /edl/NAME serves', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-export-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'ips.txt'), '192.0.2.0/25\n192.0.2.128/25\n198.51.100.9\n2001:db8::1\n');
  writeFileSync(join(dir, 'doms.txt'), 'bad.example.com\nworse.example.net\nbad.example.org\n');
  const file = join(dir, 'sluice.yaml');
  writeFileSync(
    file,
    [
      'data_dir: ./data',
      'log: { level: silent }',
      'feeds:',
      '  - { name: ips, url: ./ips.txt, format: text, type: ip, confidence: 90 }',
      '  - { name: doms, url: ./doms.txt, format: text, type: domain, confidence: 80 }',
      'edl:',
      '  - { name: fw, types: [ip] }',
      '  - { name: dns, types: [ip, domain], format: rpz, zone: rpz.example. }',
      '  - { name: paged, types: [domain], format: plain, page_size: 2 }',
      '  - { name: bundle, format: stix }',
    ].join('\n'),
  );
  t.equal((await stdoutOf(() => syncCommand(['--config', file, '--once']))).code, 0);

  const config = loadConfig(file);
  const store = openStore(config);
  const image = await store.loadLatest();
  await store.close();
  const holder = new MatcherHolder();
  holder.swap(new Matcher(imageToSet(image!)));
  const http = buildApp({
    holder,
    metrics: new Metrics(),
    logger: silentLogger,
    auth: new TokenAuth([], AddressSet.fromCidrs(['127.0.0.0/8'])),
    verdictAuth: 'open',
    edl: config.edl,
  });

  for (const [name, page] of [['fw', undefined], ['dns', undefined], ['paged', '1'], ['paged', '2'], ['paged', '7']] as const) {
    const served = await (await http.request(`/edl/${name}${page ? `?page=${page}` : ''}`)).text();
    const exported = await stdoutOf(() => exportCommand(['--config', file, '--list', name, ...(page ? ['--page', page] : [])]));
    t.equal(exported.code, 0);
    t.equal(exported.out, served, `${name} page ${page ?? 1}`);
  }
  t.equal((await stdoutOf(() => exportCommand(['--config', file, '--list', 'fw']))).out, '192.0.2.0/24\n198.51.100.9\n2001:db8::1\n');
  t.equal((await stdoutOf(() => exportCommand(['--config', file, '--type', 'ip']))).out, '198.51.100.9\n2001:db8::1\n192.0.2.0/25\n192.0.2.128/25\n', 'the old flags work as before');

  await t.rejects(exportCommand(['--config', file, '--list', 'nosuch']), { code: 'SLUICE_ERR_USAGE', message: /no list named nosuch .*; lists are fw, dns, paged, bundle/ });
  await t.rejects(exportCommand(['--config', file, '--list', 'fw', '--format', 'plain']), { code: 'SLUICE_ERR_USAGE', message: /--list takes its settings from the config; drop --format/ });
  await t.rejects(exportCommand(['--config', file, '--list', 'fw', '--page', '0']), { code: 'SLUICE_ERR_USAGE', message: /--page must be a page number/ });
  await t.rejects(exportCommand(['--config', file, '--page', '2']), { code: 'SLUICE_ERR_USAGE', message: /--page needs --list/ });
  t.match((await stdoutOf(() => exportCommand(['--config', file, '--list', 'bundle']))).out, /^\{"type":"bundle"/, 'a STIX bundle');
});
