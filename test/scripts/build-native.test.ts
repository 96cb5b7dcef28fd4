// The install step for the DNS UDP helper: skipping it must also remove a helper built
// before, or the gateway would go on loading it while npm ci said it would not.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

t.test('SLUICE_SKIP_NATIVE removes an earlier build and says DNS uses Node UDP', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'sluice-native-'));
  mkdirSync(join(root, 'scripts'));
  cpSync('scripts/build-native.mjs', join(root, 'scripts', 'build-native.mjs'));
  cpSync('native/dns-udp/binding.gyp', join(root, 'native', 'dns-udp', 'binding.gyp'), { recursive: true });
  const earlier = join(root, 'native', 'dns-udp', 'build', 'Release');
  mkdirSync(earlier, { recursive: true });
  writeFileSync(join(earlier, 'sluice_dns_udp.node'), 'an earlier build');
  const run = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs')], {
    env: { ...process.env, SLUICE_SKIP_NATIVE: '1' },
    encoding: 'utf8',
  });
  t.equal(run.status, 0, 'the install goes on');
  t.match(run.stderr, /helper not built \(SLUICE_SKIP_NATIVE is set\); DNS uses Node's UDP socket/);
  t.notOk(existsSync(join(root, 'native', 'dns-udp', 'build')), 'the earlier build is gone');
});
