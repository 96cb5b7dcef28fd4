// The named lists loaded by the programs that consume them: nft and ipset inside a network
// namespace of the test's own (never the host's tables), named-checkzone, unbound-checkconf, and
// a real Unbound on 127.0.0.1 answering through the generated RPZ zone.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import '../helpers/quiet.js';
import { matcherFor, type TestFeed } from '../helpers/feeds.js';
import { dig, parseDigOutput, sleep, UpstreamStub } from '../dns/harness.js';
import { generateList } from '../../src/edl/generate.js';
import { listConfig } from './fixture.js';
import { freePort } from '../helpers/net.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-edl-clients-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

const IPS: TestFeed = { name: 'ips', format: 'text', type: 'ip', confidence: 90, body: '192.0.2.0/25\n192.0.2.128/25\n198.51.100.7\n203.0.113.0/24\n2001:db8::/33\n2001:db8:8000::/33\n2001:db8:ffff::1\n' };
const DOMS: TestFeed = { name: 'doms', format: 'text', type: 'domain', confidence: 85, body: 'bad.example.com\nevil.example.net\n' };
const EXACT: TestFeed = {
  name: 'zone',
  format: 'rpz',
  confidence: 85,
  body: '$ORIGIN rpz.example.\n@ SOA localhost. hostmaster.localhost. ( 1 3600 600 86400 300 )\n  NS localhost.\nexact.example.org CNAME .\n',
};
// 203.0.113.77 is allowed, so the /24 is carved around it.
const ALLOW = 'good.bad.example.com\n203.0.113.77\n';
const full = matcherFor([IPS, DOMS, EXACT], ALLOW);
const fewer = matcherFor([{ ...IPS, body: '192.0.2.0/24\n' }]);
const none = matcherFor([{ ...IPS, confidence: 10 }]);

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Runs a shell script in a new network namespace; undefined when namespaces are not permitted here. */
function inNetns(script: string): { status: number | null; stdout: string; stderr: string } {
  const res = spawnSync('unshare', ['-n', 'sh', '-c', script], { encoding: 'utf8', timeout: 20_000 });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

const netnsWorks = inNetns('true').status === 0;
const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

t.test('nft -f loads the list in a fresh namespace, and a reload replaces it', { skip: !netnsWorks || !has('nft') ? 'unshare -n or nft not usable here' : false }, async (t) => {
  const list = listConfig({ format: 'nft', set_name: 'tif' });
  const a = write('a.nft', generateList(full, list).page(1));
  const b = write('b.nft', generateList(fewer, list).page(1));
  const e = write('e.nft', generateList(none, list).page(1));
  const first = inNetns(`nft -f ${a} && nft list table inet sluice`);
  t.equal(first.status, 0, first.stderr);
  // nft wraps long element lists; one space for every run of white space reads the same.
  const listed = first.stdout.replace(/\s+/g, ' ');
  t.match(listed, 'set tif_v4 { type ipv4_addr flags interval elements = { 192.0.2.0/24, 198.51.100.7, 203.0.113.0/26, 203.0.113.64/29, 203.0.113.72/30, 203.0.113.76, 203.0.113.78/31, 203.0.113.80/28, 203.0.113.96/27, 203.0.113.128/25 } }');
  t.notMatch(listed, /203\.0\.113\.77/, 'the allowed address is carved out');
  t.match(listed, 'set tif_v6 { type ipv6_addr flags interval elements = { 2001:db8::/32 } }');

  const reload = inNetns(`nft -f ${a} && nft -f ${b} && nft list table inet sluice`);
  t.equal(reload.status, 0, reload.stderr);
  t.match(reload.stdout, /elements = \{ 192\.0\.2\.0\/24 \}/);
  t.notMatch(reload.stdout, /198\.51\.100\.7|2001:db8/, 'entries no longer listed are gone');

  const empty = inNetns(`nft -f ${e} && nft list table inet sluice && nft -f ${a} && nft -f ${e} && nft list set inet sluice tif_v4`);
  t.equal(empty.status, 0, empty.stderr);
  t.notMatch(empty.stdout, /elements/, 'an empty list loads, and empties a loaded one');
});

t.test('ipset restore loads the list in a fresh namespace, and a reload replaces it', { skip: !netnsWorks || !has('ipset') ? 'unshare -n or ipset not usable here' : false }, async (t) => {
  const list = listConfig({ format: 'ipset', set_name: 'tif' });
  const a = write('a.ipset', generateList(full, list).page(1));
  const b = write('b.ipset', generateList(fewer, list).page(1));
  const e = write('e.ipset', generateList(none, list).page(1));
  const first = inNetns(`ipset restore < ${a} && ipset list tif-v4 && ipset list tif-v6 && ipset list -n`);
  t.equal(first.status, 0, first.stderr);
  t.match(first.stdout, /Name: tif-v4\nType: hash:net\n(.*\n)*Number of entries: 10\n/);
  t.match(first.stdout, /^192\.0\.2\.0\/24$/m);
  t.match(first.stdout, /^203\.0\.113\.78\/31$/m);
  t.notMatch(first.stdout, /^203\.0\.113\.(0\/24|77)$/m, 'the allowed address is carved out');
  t.match(first.stdout, /Name: tif-v6\n(.*\n)*Number of entries: 1\n(.*\n)*^2001:db8::\/32$/m);
  t.notMatch(first.stdout, /tif-v4-tmp|tif-v6-tmp/, 'the temporary sets are gone');

  const reload = inNetns(`ipset restore < ${a} && ipset restore < ${b} && ipset list tif-v4 && ipset list tif-v6`);
  t.equal(reload.status, 0, reload.stderr);
  t.match(reload.stdout, /Name: tif-v4\n(.*\n)*Number of entries: 1\nMembers:\n192\.0\.2\.0\/24\n/);
  t.match(reload.stdout, /Name: tif-v6\n(.*\n)*Number of entries: 0\n/, 'entries no longer listed are gone');

  const empty = inNetns(`ipset restore < ${e} && ipset restore < ${a} && ipset restore < ${e} && ipset list tif-v4`);
  t.equal(empty.status, 0, empty.stderr);
  t.match(empty.stdout, /Number of entries: 0\n/);
});

const rpzList = listConfig({ format: 'rpz', types: ['ip', 'domain'], zone: 'rpz.sluice.' });

t.test('named-checkzone accepts the RPZ zone, full and empty', { skip: has('named-checkzone') ? false : 'named-checkzone not installed' }, async (t) => {
  for (const [name, m] of [['full', full], ['empty', none]] as const) {
    const path = write(`${name}.rpz`, generateList(m, rpzList).page(1));
    const res = spawnSync('named-checkzone', ['rpz.sluice', path], { encoding: 'utf8' });
    t.equal(res.status, 0, `${name}: ${res.stdout}${res.stderr}`);
    t.match(res.stdout, /loaded serial 1\nOK/);
  }
});


function unboundConf(port: number, upstream: number, zonefile: string): string {
  return [
    'server:',
    `  interface: 127.0.0.1@${port}`,
    `  port: ${port}`,
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
    '  module-config: "respip iterator"',
    '  access-control: 127.0.0.0/8 allow',
    'remote-control:',
    '  control-enable: no',
    'rpz:',
    '  name: "rpz.sluice."',
    `  zonefile: "${zonefile}"`,
    'forward-zone:',
    '  name: "."',
    `  forward-addr: 127.0.0.1@${upstream}`,
    '',
  ].join('\n');
}

t.test('Unbound loads the zone as RPZ and answers NXDOMAIN for what it lists', { skip: has('unbound') && has('unbound-checkconf') && has('dig') ? false : 'unbound, unbound-checkconf or dig not installed' }, async (t) => {
  const stub = await new UpstreamStub({
    'ok.example.net': [{ type: 'A', data: '198.18.0.1' }],
    'good.bad.example.com': [{ type: 'A', data: '198.18.0.2' }],
    'www.exact.example.org': [{ type: 'A', data: '198.18.0.3' }],
    'points-at-listed.example.net': [{ type: 'A', data: '192.0.2.200' }],
    'points-at-allowed.example.net': [{ type: 'A', data: '203.0.113.77' }],
    'v6-listed.example.net': [{ type: 'AAAA', data: '2001:db8::80' }],
  }).start(t);
  const zonefile = write('unbound.rpz', generateList(full, rpzList).page(1));
  const port = await freePort();
  const conf = write('unbound.conf', unboundConf(port, stub.port, zonefile));
  const check = spawnSync('unbound-checkconf', [conf], { encoding: 'utf8' });
  t.equal(check.status, 0, `unbound-checkconf: ${check.stdout}${check.stderr}`);

  const unbound = spawn('unbound', ['-d', '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  unbound.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  t.teardown(() => void unbound.kill('SIGTERM'));
  let ready = false;
  for (let i = 0; i < 50 && !ready; i++) {
    await sleep(100);
    ready = parseDigOutput(await dig(port, ['+time=1', 'ok.example.net', 'A']).catch(() => '')).status === 'NOERROR';
  }
  t.ok(ready, `unbound answers on port ${port}${ready ? '' : `: ${stderr}`}`);

  const status = async (name: string, type = 'A') => parseDigOutput(await dig(port, [name, type])).status;
  t.equal(await status('bad.example.com'), 'NXDOMAIN', 'a listed name');
  t.equal(await status('www.bad.example.com'), 'NXDOMAIN', 'a name below it, through *.name');
  t.equal(await status('evil.example.net', 'AAAA'), 'NXDOMAIN');
  t.equal(await status('exact.example.org'), 'NXDOMAIN', 'an exact-only name');
  t.equal(await status('www.exact.example.org'), 'NOERROR', 'but not the names below it');
  t.equal(await status('good.bad.example.com'), 'NOERROR', 'an allowlisted name below a listed one passes through');
  t.equal(await status('points-at-listed.example.net'), 'NXDOMAIN', 'an answer inside a listed network (rpz-ip)');
  t.equal(await status('v6-listed.example.net', 'AAAA'), 'NXDOMAIN', 'an IPv6 answer inside a listed network');
  t.equal(await status('points-at-allowed.example.net'), 'NOERROR', 'the allowed address carved out of a listed network');
  t.equal(await status('ok.example.net'), 'NOERROR');
  t.ok(!stub.asked.includes('bad.example.com'), 'a listed name is answered without asking upstream');
});
