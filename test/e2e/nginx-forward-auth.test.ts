// deploy/nginx/sluice-auth.conf as shipped, in a real nginx from a temp prefix, in front of a
// tiny application, with sluice in-process; curl is the browser. Everything binds loopback.
import t from 'tap';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { silentLogger } from '../helpers/quiet.js';
import { matcherFor } from '../helpers/feeds.js';
import { buildApp } from '../../src/http/app.js';
import { TokenAuth } from '../../src/http/auth.js';
import { AddressSet } from '../../src/match/cidr/address-set.js';
import { MatcherHolder } from '../../src/match/holder.js';
import { Metrics } from '../../src/metrics/registry.js';

const SNIPPET = fileURLToPath(new URL('../../deploy/nginx/sluice-auth.conf', import.meta.url));
const NGINX = '/usr/sbin/nginx';

const dir = mkdtempSync(join(tmpdir(), 'sluice-nginx-'));
// nginx started as root runs its workers as nobody; they must reach the temp paths inside.
chmodSync(dir, 0o755);
let nginx: ChildProcess | undefined;
let nginxPort = 0;
const seenByApp: IncomingHttpHeaders[] = [];

function listening(server: { once(e: 'listening', f: () => void): unknown; address(): AddressInfo | string | null }): Promise<number> {
  return new Promise((resolve) => server.once('listening', () => resolve((server.address() as AddressInfo).port)));
}

async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1');
  const port = await listening(probe);
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Replaces `from` in the snippet, which must occur exactly once: a changed snippet fails here. */
function substitute(text: string, from: string, to: string): string {
  t.equal(text.split(from).length, 2, `the snippet has exactly one ${from}`);
  return text.replace(from, to);
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => (socket.destroy(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (up) return;
    if (nginx?.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nginx did not start: ${readFileSync(join(dir, 'error.log'), 'utf8')}`);
}

t.before(async () => {
  const holder = new MatcherHolder();
  // No guard, so the loopback client 127.0.0.2 can be listed (the default guards hold it back).
  holder.swap(
    matcherFor([
      { name: 'doms', format: 'text', type: 'domain', confidence: 80, body: 'bad.example.com\n' },
      { name: 'urls', format: 'text', type: 'url', confidence: 90, body: 'http://good.example.org/malware.exe\n' },
      { name: 'ips', format: 'text', type: 'ip', confidence: 90, body: '127.0.0.2\n' },
    ]),
  );
  const app = buildApp({ holder, metrics: new Metrics(), logger: silentLogger, auth: new TokenAuth([], AddressSet.fromCidrs(['127.0.0.0/8'])), verdictAuth: 'open' });
  const sluice = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  const sluicePort = await listening(sluice);
  t.teardown(() => new Promise<void>((resolve) => sluice.close(() => resolve())));

  const upstream = createHttpServer((req, res) => {
    seenByApp.push(req.headers);
    req.resume();
    req.on('end', () => res.end('hello'));
  }).listen(0, '127.0.0.1');
  const upstreamPort = await listening(upstream);
  t.teardown(() => new Promise<void>((resolve) => upstream.close(() => resolve())));

  nginxPort = await freePort();
  let snippet = readFileSync(SNIPPET, 'utf8');
  snippet = substitute(snippet, 'server 127.0.0.1:8080;', `server 127.0.0.1:${sluicePort};`);
  snippet = substitute(snippet, 'proxy_pass http://127.0.0.1:3000;', `proxy_pass http://127.0.0.1:${upstreamPort};`);
  snippet = substitute(snippet, 'listen 80;', `listen 127.0.0.1:${nginxPort};`);
  writeFileSync(join(dir, 'sluice-auth.conf'), snippet);
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      'worker_processes 1;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log;`,
      'events { worker_connections 64; }',
      'http {',
      `  access_log ${dir}/access.log;`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((p) => `  ${p}_temp_path ${dir}/${p}_temp;`),
      `  include ${dir}/sluice-auth.conf;`,
      '}',
      '',
    ].join('\n'),
  );
  nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', 'daemon off;'], { stdio: 'ignore' });
  await waitForPort(nginxPort);
});

t.teardown(async () => {
  const master = nginx;
  if (master && master.exitCode === null && master.signalCode === null) {
    const exited = new Promise((resolve) => master.once('exit', resolve));
    master.kill('SIGTERM'); // the master pid: it stops its workers
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** curl through nginx; `args` go before the URL. No proxy from the environment is used. */
function curl(path: string, args: string[] = []): Promise<Reply> {
  const url = `http://127.0.0.1:${nginxPort}${path}`;
  return new Promise((resolve, reject) => {
    execFile('curl', ['-sS', '--noproxy', '*', '--max-time', '10', '-i', ...args, url], (err, stdout) => {
      if (err) return reject(err);
      const [head, ...rest] = stdout.split('\r\n\r\n');
      const lines = head!.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(lines[0]!.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
  });
}

t.test('a listed host is refused with the block page', async (t) => {
  const reply = await curl('/any/page', ['-H', 'Host: bad.example.com']);
  t.equal(reply.status, 403);
  t.equal(reply.headers['x-sluice-verdict'], 'block');
  t.equal(reply.headers['x-sluice-reason'], 'host bad.example.com listed by feed doms');
  t.equal(reply.body, 'Blocked by sluice: host bad.example.com listed by feed doms\n');
});

t.test('a listed URL is refused: X-Original-URL carries the path', async (t) => {
  t.equal((await curl('/malware.exe', ['-H', 'Host: good.example.org'])).status, 403);
  t.equal((await curl('/other.exe', ['-H', 'Host: good.example.org'])).status, 200);
});

t.test('a listed client is refused: nginx appends it to X-Forwarded-For', async (t) => {
  const reply = await curl('/', ['--interface', '127.0.0.2', '-H', 'Host: www.example.org']);
  t.equal(reply.status, 403);
  t.equal(reply.headers['x-sluice-reason'], 'client 127.0.0.2 listed by feed ips');
  // Another client cannot pose as anyone with a forged X-Forwarded-For: only the right end counts.
  const forged = await curl('/', ['--interface', '127.0.0.3', '-H', 'Host: www.example.org', '-H', 'X-Forwarded-For: 127.0.0.2']);
  t.equal(forged.status, 200);
});

t.test('an ordinary request reaches the application, bodies and all', async (t) => {
  seenByApp.length = 0;
  const reply = await curl('/hello?x=1', ['-H', 'Host: www.example.org']);
  t.equal(reply.status, 200);
  t.equal(reply.body, 'hello');
  t.equal(seenByApp[0]?.['x-sluice-verdict'], 'allow');
  const post = await curl('/form', ['-H', 'Host: www.example.org', '--data', 'a=1']);
  t.match(post, { status: 200, body: 'hello' });
  t.equal((await curl('/form', ['-H', 'Host: bad.example.com', '--data', 'a=1'])).status, 403, 'a POST is checked too');
});
