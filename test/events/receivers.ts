// Stand-ins for a SIEM: syslog receivers (UDP, TCP and TLS with octet counting) and a webhook
// receiver, each on 127.0.0.1 port 0 and closed by the test's teardown; parsers for what they
// receive; and a throwaway certificate made with openssl in a temp dir.
import '../helpers/quiet.js';
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createTlsServer, Server as TlsServer } from 'node:tls';
import { configSchema } from '../../src/config/schema.js';
import type { EventsConfig } from '../../src/events/index.js';
import type { HitEvent } from '../../src/events/types.js';

export interface Teardown {
  teardown(fn: () => unknown): void;
}

/** `events:` as the config loader produces it, defaults filled in. */
export function eventsConfig(events: Record<string, unknown>): EventsConfig {
  return configSchema.parse({ events }).events;
}

/** A hit event; `i` makes the value unique so order can be checked. */
export function hit(i: number, over: Partial<HitEvent> = {}): HitEvent {
  return {
    time: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, i % 1000)).toISOString(),
    source: 'dns',
    client: '127.0.0.1',
    value: `n${i}.bad.example.com`,
    qtype: 1,
    verdict: i % 2 === 0 ? 'block' : 'monitor',
    indicator: 'bad.example.com',
    feeds: ['bad', 'other'],
    ...over,
  };
}

export async function waitFor(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// ---------------------------------------------------------------------------------------------
// Syslog receivers

export interface SyslogReceiver {
  port: number;
  messages: string[];
  /** Bytes of octet-counted input that did not parse (stream receivers only). */
  framingErrors: number;
  /** Connections accepted (stream receivers only). */
  connections: number;
  /** Closes every open connection from the collector's side (stream receivers only). */
  dropConnections(): void;
}

function receiver(): SyslogReceiver {
  return { port: 0, messages: [], framingErrors: 0, connections: 0, dropConnections: () => undefined };
}

export async function udpSyslog(t: Teardown): Promise<SyslogReceiver> {
  const socket = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  const r = receiver();
  socket.on('message', (m) => r.messages.push(m.toString('utf8')));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  t.teardown(() => socket.close());
  r.port = socket.address().port;
  return r;
}

/** RFC 6587 octet counting: `LEN SP MSG`, repeated. */
function octetCounting(socket: Socket, r: SyslogReceiver): void {
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      const space = buffered.indexOf(0x20);
      if (space < 0) return;
      const len = Number(buffered.subarray(0, space).toString('latin1'));
      if (!Number.isInteger(len) || len <= 0 || space > 10) {
        r.framingErrors++;
        socket.destroy();
        return;
      }
      if (buffered.length < space + 1 + len) return;
      r.messages.push(buffered.subarray(space + 1, space + 1 + len).toString('utf8'));
      buffered = buffered.subarray(space + 1 + len);
    }
  });
  socket.on('error', () => socket.destroy());
}

function track(t: Teardown, server: Server, r: SyslogReceiver): void {
  const sockets = new Set<Socket>();
  r.dropConnections = () => {
    for (const s of sockets) s.destroy();
  };
  server.on(server instanceof TlsServer ? 'secureConnection' : 'connection', (s: Socket) => {
    r.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

export async function tcpSyslog(t: Teardown): Promise<SyslogReceiver> {
  const r = receiver();
  const server = createNetServer((s) => octetCounting(s, r));
  track(t, server, r);
  r.port = await listen(server);
  return r;
}

export async function tlsSyslog(t: Teardown, cert: TestCert): Promise<SyslogReceiver> {
  const r = receiver();
  const server = createTlsServer({ key: cert.key, cert: cert.cert }, (s) => octetCounting(s, r));
  track(t, server, r);
  r.port = await listen(server);
  return r;
}

export interface TestCert {
  key: Buffer;
  cert: Buffer;
  certPath: string;
}

/** A self-signed certificate for 127.0.0.1 (its own CA), in a temp dir removed at teardown. */
export function makeCert(t: Teardown): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-events-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyPath, '-out', certPath, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { stdio: 'ignore', timeout: 30_000 },
  );
  return { key: readFileSync(keyPath), cert: readFileSync(certPath), certPath };
}

// ---------------------------------------------------------------------------------------------
// Webhook receiver

export interface WebhookReceiver {
  port: number;
  url: string;
  /** Every request body, parsed, in arrival order (including those answered with an error). */
  batches: HitEvent[][];
  headers: IncomingMessage['headers'][];
  /** Requests that arrived, answered or not. */
  requests: number;
}

/** What to do with request number `n` (from 0): a status to answer, or hang (never answer). */
export type Behaviour = (n: number) => number | 'hang';

export async function webhookReceiver(t: Teardown, behaviour: Behaviour = () => 200): Promise<WebhookReceiver> {
  const r: WebhookReceiver = { port: 0, url: '', batches: [], headers: [], requests: 0 };
  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const n = r.requests++;
    const action = behaviour(n);
    if (action === 'hang') return; // keep the connection, read nothing more, answer nothing
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      r.batches.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as HitEvent[]);
      r.headers.push(req.headers);
      res.writeHead(action, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.port = (server.address() as { port: number }).port;
  r.url = `http://127.0.0.1:${r.port}/hits`;
  return r;
}

/** A loopback port nothing listens on (it was free a moment ago). */
export async function refusedPort(): Promise<number> {
  const server = createNetServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// ---------------------------------------------------------------------------------------------
// Parsers, written from the RFCs rather than from the code under test

export interface Rfc5424 {
  pri: number;
  version: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  sdId: string | undefined;
  params: Record<string, string>;
  msg: string | undefined;
}

/** Parses one RFC 5424 message with at most one SD-ELEMENT, undoing PARAM-VALUE escapes. */
export function parseRfc5424(line: string): Rfc5424 {
  const head = /^<(\d{1,3})>(\d) (\S+) (\S+) (\S+) (\S+) (\S+) /.exec(line);
  if (!head) throw new Error(`not RFC 5424: ${line}`);
  let at = head[0].length;
  const params: Record<string, string> = {};
  let sdId: string | undefined;
  if (line[at] === '-') {
    at++;
  } else {
    if (line[at] !== '[') throw new Error(`no structured data: ${line}`);
    const id = /^\[([^ =\]"]+)/.exec(line.slice(at));
    if (!id) throw new Error(`bad SD-ID: ${line}`);
    sdId = id[1];
    at += id[0].length;
    while (line[at] === ' ') {
      const name = /^ ([^ =\]"]{1,32})="/.exec(line.slice(at));
      if (!name) throw new Error(`bad SD-PARAM at ${at}: ${line}`);
      at += name[0].length;
      let value = '';
      for (;;) {
        const c = line[at];
        if (c === undefined) throw new Error(`unterminated PARAM-VALUE: ${line}`);
        if (c === '\\' && ['"', '\\', ']'].includes(line[at + 1] ?? '')) {
          value += line[at + 1];
          at += 2;
        } else if (c === '"') {
          at++;
          break;
        } else {
          if (c === ']') throw new Error(`unescaped ] in PARAM-VALUE: ${line}`);
          value += c;
          at++;
        }
      }
      params[name[1]!] = value;
    }
    if (line[at] !== ']') throw new Error(`SD-ELEMENT not closed at ${at}: ${line}`);
    at++;
  }
  let msg: string | undefined;
  if (at < line.length) {
    if (line[at] !== ' ') throw new Error(`no space before MSG: ${line}`);
    msg = line.slice(at + 1);
  }
  return {
    pri: Number(head[1]),
    version: Number(head[2]),
    timestamp: head[3]!,
    hostname: head[4]!,
    appName: head[5]!,
    procId: head[6]!,
    msgId: head[7]!,
    sdId,
    params,
    msg,
  };
}

export interface Cef {
  header: string[];
  ext: Record<string, string>;
}

/** Parses `CEF:0|…|…|…|…|…|…|ext`, undoing `\|`, `\\` in the header and `\=`, `\\`, `\n`, `\r` in values. */
export function parseCef(text: string): Cef {
  if (!text.startsWith('CEF:0|')) throw new Error(`not CEF: ${text}`);
  const header: string[] = [];
  let field = '';
  let at = 0;
  while (header.length < 7) {
    const c = text[at];
    if (c === undefined) throw new Error(`CEF header cut short: ${text}`);
    if (c === '\\') {
      const next = text[at + 1];
      if (next !== '\\' && next !== '|') throw new Error(`bad header escape \\${next}: ${text}`);
      field += next;
      at += 2;
    } else if (c === '|') {
      header.push(field);
      field = '';
      at++;
    } else {
      if (c === '\n' || c === '\r') throw new Error(`newline in CEF header: ${text}`);
      field += c;
      at++;
    }
  }
  const rest = text.slice(at);
  if (/[\r\n]/.test(rest)) throw new Error(`raw newline in CEF extension: ${text}`);
  const ext: Record<string, string> = {};
  // A key starts after a space and runs to an unescaped '='; its value runs to the next key.
  const keyAt = /(?:^| )([A-Za-z0-9_]+)=/g;
  const keys: { key: string; start: number; valueStart: number }[] = [];
  for (let m = keyAt.exec(rest); m; m = keyAt.exec(rest)) {
    if (m.index > 0 && isEscaped(rest, m.index + m[0].length - 1)) continue;
    keys.push({ key: m[1]!, start: m.index, valueStart: m.index + m[0].length });
  }
  keys.forEach((k, i) => {
    const raw = rest.slice(k.valueStart, keys[i + 1]?.start ?? rest.length);
    if (/(^|[^\\])(\\\\)*=/.test(raw)) throw new Error(`unescaped = in value of ${k.key}: ${text}`);
    ext[k.key] = raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
  });
  return { header, ext };
}

function isEscaped(s: string, at: number): boolean {
  let n = 0;
  for (let i = at - 1; i >= 0 && s[i] === '\\'; i--) n++;
  return n % 2 === 1;
}
