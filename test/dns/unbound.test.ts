// Unbound (a real recursive resolver) forwarding to sluice, as networks deploy it: a blocked
// name comes back with sluice's block answer, an allowed one resolves through sluice.
import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dig, parseDigOutput, sleep, startGateway, UpstreamStub } from './harness.js';
import { freePort } from '../helpers/net.js';

const UNBOUND = '/usr/sbin/unbound';


t.test('Unbound forwarding to sluice gets block answers for blocked names and real ones for others', async (t) => {
  const stub = await new UpstreamStub({ 'ok.example.net': [{ type: 'A', data: '192.0.2.80' }] }).start(t);
  const gw = await startGateway(t, { upstreams: [stub.upstream] });
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-unbound-'));
  writeFileSync(
    join(dir, 'unbound.conf'),
    [
      'server:',
      `  interface: 127.0.0.1@${port}`,
      '  port: ' + port,
      '  do-ip6: no',
      '  do-daemonize: no',
      '  chroot: ""',
      '  username: ""',
      `  directory: "${dir}"`,
      `  pidfile: "${join(dir, 'unbound.pid')}"`,
      '  use-syslog: no',
      '  logfile: ""',
      '  verbosity: 0',
      '  do-not-query-localhost: no',
      '  module-config: "iterator"',
      '  access-control: 127.0.0.0/8 allow',
      'remote-control:',
      '  control-enable: no',
      'forward-zone:',
      '  name: "."',
      `  forward-addr: 127.0.0.1@${gw.port}`,
    ].join('\n'),
  );
  const unbound = spawn(UNBOUND, ['-d', '-c', join(dir, 'unbound.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  unbound.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  t.teardown(() => void unbound.kill('SIGTERM'));

  let ready = false;
  for (let i = 0; i < 50 && !ready; i++) {
    await sleep(100);
    ready = parseDigOutput(await dig(port, ['+time=1', 'ok.example.net', 'A']).catch(() => '')).status === 'NOERROR';
  }
  t.ok(ready, `unbound answers on port ${port}${ready ? '' : `: ${stderr}`}`);

  const blocked = parseDigOutput(await dig(port, ['bad.example.com', 'A']));
  t.equal(blocked.status, 'NXDOMAIN', 'a blocked name: the block answer, through Unbound');
  const below = parseDigOutput(await dig(port, ['www.bad.example.com', 'AAAA']));
  t.equal(below.status, 'NXDOMAIN', 'a name below it too');
  const ok = parseDigOutput(await dig(port, ['ok.example.net', 'A']));
  t.equal(ok.status, 'NOERROR');
  t.match(ok.answer, [/192\.0\.2\.80/], 'an allowed name resolves');
  t.ok(gw.hits.some((h) => h.name === 'bad.example.com'), 'sluice saw and counted the blocked query');
});
