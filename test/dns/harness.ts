// Shared pieces of the DNS tests: a small authoritative upstream on a loopback port, a real
// gateway (handler + server) on 127.0.0.1 port 0, raw query builders and socket clients, and
// runners for dig and kdig. Everything binds to 127.0.0.1 and is closed by the caller's teardown.
import '../helpers/quiet.js';
import { execFile } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import dnsPacket from 'dns-packet';
import { silentLogger } from '../helpers/quiet.js';
import { matcherFor, type TestFeed } from '../helpers/feeds.js';
import type { BlockResponse } from '../../src/dns/answers.js';
import { ipBytes } from '../../src/dns/addresses.js';
import { Forwarder, type Upstream } from '../../src/dns/forwarder.js';
import { QueryHandler, type DnsHit, type HandlerOptions } from '../../src/dns/handler.js';
import { DnsServer } from '../../src/dns/server.js';
import { AddressSet } from '../../src/match/cidr/address-set.js';
import { MatcherHolder } from '../../src/match/holder.js';
import type { Matcher } from '../../src/match/matcher.js';
import { Metrics } from '../../src/metrics/registry.js';

/** The subset of a tap Test the harness needs. */
export interface Teardown {
  teardown(fn: () => unknown): void;
}

export const TYPES: Record<string, number> = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28, OPT: 41, SVCB: 64, HTTPS: 65, ANY: 255,
};

// ---------------------------------------------------------------------------------------------
// Raw messages

/** Wire form of a name given as labels; labels may hold any bytes, dots included. */
export function nameBytes(labels: readonly (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = typeof label === 'string' ? Buffer.from(label, 'latin1') : label;
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

export function header(id: number, flags: number, qd: number, an = 0, ns = 0, ar = 0): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(flags, 2);
  h.writeUInt16BE(qd, 4);
  h.writeUInt16BE(an, 6);
  h.writeUInt16BE(ns, 8);
  h.writeUInt16BE(ar, 10);
  return h;
}

export function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n, 0);
  return b;
}

export interface OptSpec {
  udp?: number;
  version?: number;
  dnssecOk?: boolean;
  extendedRcode?: number;
  options?: ReadonlyArray<{ code: number; data: Buffer }>;
  /** Owner bytes; the root name unless a test corrupts it. */
  owner?: Buffer;
}

export function optRecord(spec: OptSpec = {}): Buffer {
  const rdata = Buffer.concat((spec.options ?? []).map((o) => Buffer.concat([u16(o.code), u16(o.data.length), o.data])));
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(TYPES.OPT!, 0);
  fixed.writeUInt16BE(spec.udp ?? 1232, 2);
  fixed[4] = spec.extendedRcode ?? 0;
  fixed[5] = spec.version ?? 0;
  fixed.writeUInt16BE(spec.dnssecOk ? 0x8000 : 0, 6);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([spec.owner ?? Buffer.from([0]), fixed, rdata]);
}

export interface QuerySpec {
  id?: number;
  /** Header flags; RD only by default. */
  flags?: number;
  edns?: OptSpec;
}

/** A standard query; `name` is dotted text (case kept) or explicit labels. */
export function query(name: string | readonly (string | Buffer)[], type: string | number, spec: QuerySpec = {}): Buffer {
  const labels = typeof name === 'string' ? (name === '' ? [] : name.split('.')) : name;
  const qtype = typeof type === 'number' ? type : TYPES[type]!;
  return Buffer.concat([
    header(spec.id ?? 0x1234, spec.flags ?? 0x0100, 1, 0, 0, spec.edns ? 1 : 0),
    nameBytes(labels),
    u16(qtype),
    u16(1),
    ...(spec.edns ? [optRecord(spec.edns)] : []),
  ]);
}

/** Offset just past the question of a well-formed, uncompressed message. */
export function questionEnd(msg: Buffer): number {
  let at = 12;
  while (msg[at]! !== 0) at += msg[at]! + 1;
  return at + 5;
}

/** The question bytes of a message (uncompressed question). */
export function questionOf(msg: Buffer): Buffer {
  return msg.subarray(12, questionEnd(msg));
}

export interface Reply {
  raw: Buffer;
  id: number;
  flags: number;
  rcode: number;
  /** Header RCODE combined with the OPT extended RCODE. */
  fullRcode: number;
  tc: boolean;
  counts: [number, number, number, number];
  packet: dnsPacket.Packet;
  opt: dnsPacket.OptAnswer | undefined;
}

export function decodeReply(raw: Buffer): Reply {
  const packet = dnsPacket.decode(raw);
  const opt = (packet.additionals ?? []).find((a) => a.type === 'OPT') as dnsPacket.OptAnswer | undefined;
  const flags = raw.readUInt16BE(2);
  const rcode = flags & 0xf;
  return {
    raw,
    id: raw.readUInt16BE(0),
    flags,
    rcode,
    fullRcode: rcode | ((opt?.extendedRcode ?? 0) << 4),
    tc: (flags & 0x0200) !== 0,
    counts: [raw.readUInt16BE(4), raw.readUInt16BE(6), raw.readUInt16BE(8), raw.readUInt16BE(10)],
    packet,
    opt,
  };
}

// ---------------------------------------------------------------------------------------------
// Clients

/** One datagram to the gateway from 127.0.0.1; the first reply, or undefined after `waitMs`. */
export async function udpExchange(port: number, msg: Buffer, waitMs = 2000): Promise<Buffer | undefined> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  try {
    return await new Promise<Buffer | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), waitMs);
      socket.once('message', (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      socket.send(msg, port, '127.0.0.1');
    });
  } finally {
    socket.close();
  }
}

/** A bound UDP client that keeps every reply, for tests that send many datagrams. */
export async function udpClient(t: Teardown): Promise<{ socket: UdpSocket; replies: Buffer[] }> {
  const socket = createSocket('udp4');
  const replies: Buffer[] = [];
  socket.on('message', (m) => replies.push(m));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  t.teardown(() => socket.close());
  return { socket, replies };
}

export function tcpConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** One length-prefixed query over a fresh TCP connection; the reply, or undefined on close/timeout. */
export async function tcpExchange(port: number, msg: Buffer, waitMs = 3000): Promise<Buffer | undefined> {
  const socket = await tcpConnect(port);
  try {
    return await new Promise<Buffer | undefined>((resolve) => {
      let buffered = Buffer.alloc(0);
      const timer = setTimeout(() => resolve(undefined), waitMs);
      const done = (reply: Buffer | undefined) => {
        clearTimeout(timer);
        resolve(reply);
      };
      socket.on('data', (chunk) => {
        buffered = Buffer.concat([buffered, chunk]);
        if (buffered.length >= 2 && buffered.length >= buffered.readUInt16BE(0) + 2) {
          done(buffered.subarray(2, buffered.readUInt16BE(0) + 2));
        }
      });
      socket.on('close', () => done(undefined));
      socket.on('error', () => done(undefined));
      socket.write(Buffer.concat([u16(msg.length), msg]));
    });
  } finally {
    socket.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Upstream stub

/** dns-packet's record encoder (exported at run time, missing from its type definitions). */
const encodeAnswer = (dnsPacket as unknown as { answer: { encode(a: dnsPacket.Answer): Buffer } }).answer.encode;

export type StubRecord =
  | { type: 'A' | 'AAAA' | 'CNAME'; data: string; ttl?: number; name?: string }
  | { type: 'TXT'; data: string[]; ttl?: number; name?: string };

export interface StubExchange {
  via: 'udp' | 'tcp';
  /** Bytes as the stub received them. */
  query: Buffer;
  /** Lower-cased question name as the stub read it, labels joined by dots. */
  name: string;
  qtype: number;
  /** Bytes the stub sent back; undefined when it stayed silent. */
  reply: Buffer | undefined;
}

/**
 * An authoritative stand-in for the upstream resolver on 127.0.0.1, UDP and TCP on one port.
 * Answers A, AAAA, TXT and CNAME for the names it is given (NXDOMAIN for others), echoes the
 * question bytes exactly as received, adds an OPT when the query had one, and logs every
 * exchange so a test can see what was forwarded and compare relayed bytes. `silent` makes it
 * swallow everything, as a dead upstream would.
 */
export class UpstreamStub {
  readonly log: StubExchange[] = [];
  port = 0;
  private udp: UdpSocket | undefined;
  private tcp: Server | undefined;
  private readonly conns = new Set<Socket>();

  constructor(
    private readonly zone: Record<string, StubRecord[]>,
    private readonly options: { silent?: boolean; truncateUdp?: boolean } = {},
  ) {}

  get asked(): string[] {
    return this.log.map((e) => e.name);
  }

  async start(t: Teardown): Promise<this> {
    t.teardown(() => this.stop());
    for (let attempt = 0; ; attempt++) {
      const udp = createSocket('udp4');
      udp.on('error', () => undefined);
      await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
      const port = udp.address().port;
      const tcp = createServer((s) => this.serveTcp(s));
      const ok = await new Promise<boolean>((resolve) => {
        tcp.once('error', () => resolve(false));
        tcp.listen(port, '127.0.0.1', () => resolve(true));
      });
      if (!ok) {
        udp.close();
        if (attempt < 10) continue;
        throw new Error('no free port for the upstream stub');
      }
      udp.on('message', (msg, rinfo) => {
        const reply = this.answer(msg, 'udp');
        if (reply) udp.send(reply, rinfo.port, rinfo.address);
      });
      this.udp = udp;
      this.tcp = tcp;
      this.port = port;
      return this;
    }
  }

  get upstream(): Upstream {
    return { host: '127.0.0.1', port: this.port };
  }

  private serveTcp(socket: Socket): void {
    this.conns.add(socket);
    socket.on('close', () => this.conns.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= buffered.readUInt16BE(0) + 2) {
        const msg = Buffer.from(buffered.subarray(2, buffered.readUInt16BE(0) + 2));
        buffered = buffered.subarray(msg.length + 2);
        const reply = this.answer(msg, 'tcp');
        if (reply) socket.write(Buffer.concat([u16(reply.length), reply]));
      }
    });
  }

  private answer(msg: Buffer, via: 'udp' | 'tcp'): Buffer | undefined {
    // Reads the question by hand (uncompressed labels only) so that odd labels survive.
    if (msg.length < 12) return undefined;
    const labels: string[] = [];
    let at = 12;
    while (at < msg.length && msg[at]! !== 0) {
      const len = msg[at]!;
      if (len > 63 || at + 1 + len > msg.length) return undefined;
      labels.push(msg.subarray(at + 1, at + 1 + len).toString('latin1').toLowerCase());
      at += len + 1;
    }
    if (at + 5 > msg.length) return undefined;
    const end = at + 5;
    const name = labels.join('.');
    const qtype = msg.readUInt16BE(at + 1);
    const exchange: StubExchange = { via, query: Buffer.from(msg), name, qtype, reply: undefined };
    this.log.push(exchange);
    if (this.options.silent) return undefined;

    if (this.options.truncateUdp && via === 'udp') {
      // What a server does when the answer does not fit: TC set, nothing in it, ask over TCP.
      const reply = Buffer.concat([header(msg.readUInt16BE(0), 0x8000 | 0x0400 | 0x0200 | 0x0080, 1), msg.subarray(12, end)]);
      exchange.reply = reply;
      return reply;
    }
    const records = this.zone[name];
    const matching = (records ?? []).filter((r) => TYPES[r.type] === qtype || r.type === 'CNAME');
    const answers = matching.map((r) =>
      encodeAnswer({ name: r.name ?? name, type: r.type, ttl: r.ttl ?? 300, class: 'IN', data: r.data } as dnsPacket.Answer),
    );
    const hadOpt = msg.readUInt16BE(10) > 0;
    const rd = msg.readUInt16BE(2) & 0x0100;
    const reply = Buffer.concat([
      header(msg.readUInt16BE(0), 0x8000 | 0x0400 | rd | 0x0080 | (records ? 0 : 3), 1, answers.length, 0, hadOpt ? 1 : 0),
      msg.subarray(12, end),
      ...answers,
      ...(hadOpt ? [optRecord({ udp: 4096 })] : []),
    ]);
    exchange.reply = reply;
    return reply;
  }

  stop(): void {
    for (const s of this.conns) s.destroy();
    this.tcp?.close();
    try {
      this.udp?.close();
    } catch {
      // already closed
    }
    this.udp = undefined;
    this.tcp = undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Gateway

export interface GatewayOptions {
  feeds?: TestFeed[];
  allowlist?: string;
  matcher?: Matcher;
  response?: BlockResponse;
  ttl?: number;
  acl?: string[];
  upstreams: Upstream[];
  timeoutMs?: number;
  /** Further handler options (cache, rate limit, query log, answer inspection). */
  handler?: Partial<HandlerOptions>;
  /** How the server reads and writes UDP; `auto` (the batched helper) unless told. */
  udp?: 'auto' | 'node';
}

export interface Gateway {
  port: number;
  metrics: Metrics;
  server: DnsServer;
  /** The handler behind the server, for in-process checks. */
  handler: QueryHandler;
  hits: DnsHit[];
  /** Current value of sluice_dns_queries_total for an action. */
  count(action: string): Promise<number>;
  counts(): Promise<Record<string, number>>;
}

export const BAD_FEED: TestFeed = {
  name: 'bad',
  format: 'text',
  type: 'domain',
  confidence: 90,
  body: 'bad.example.com\nlisted.example.org\nallowed.example.com\n',
};
/** Confidence 50: between monitor_at (40) and block_at (70), so its names are monitored. */
export const WATCH_FEED: TestFeed = {
  name: 'watch',
  format: 'text',
  type: 'domain',
  confidence: 50,
  body: 'watched.example.org\n',
};

/** A handler and server wired as `sluice serve` wires them, on 127.0.0.1 port 0. */
export async function startGateway(t: Teardown, o: GatewayOptions): Promise<Gateway> {
  const holder = new MatcherHolder();
  holder.swap(o.matcher ?? matcherFor(o.feeds ?? [BAD_FEED, WATCH_FEED], o.allowlist ?? 'allowed.example.com\n'));
  const metrics = new Metrics();
  const forwarder = new Forwarder(o.upstreams, o.timeoutMs ?? 1000);
  const hits: DnsHit[] = [];
  const handler = new QueryHandler({
    holder,
    metrics,
    forwarder,
    acl: AddressSet.fromCidrs(o.acl ?? ['127.0.0.0/8', '::1/128']),
    block: { response: o.response ?? 'nxdomain', ttl: o.ttl ?? 60, ipv4: ipBytes('0.0.0.0'), ipv6: ipBytes('::') },
    logger: silentLogger,
    onHit: (hit) => hits.push(hit),
    ...o.handler,
  });
  const server = new DnsServer(handler, silentLogger, { udp: o.udp ?? 'auto' });
  t.teardown(async () => {
    await server.close();
    forwarder.close();
  });
  await server.listen([{ host: '127.0.0.1', port: 0 }]);
  const counts = async () => {
    const out: Record<string, number> = {};
    for (const v of (await metrics.dnsQueries.get()).values) out[String(v.labels.action)] = v.value;
    return out;
  };
  return { port: server.bound[0]!.port, metrics, server, handler, hits, counts, count: async (a) => (await counts())[a] ?? 0 };
}

// ---------------------------------------------------------------------------------------------
// dig and kdig

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 15_000 }, (err, stdout, stderr) => {
      // dig exits 9 when no reply came; the output still tells the story.
      if (err && !stdout) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

export function dig(port: number, args: string[]): Promise<string> {
  return run('dig', ['@127.0.0.1', '-p', String(port), '+time=3', '+tries=1', ...args]);
}

export function kdig(port: number, args: string[]): Promise<string> {
  return run('kdig', ['@127.0.0.1', '-p', String(port), '+timeout=3', '+retry=0', ...args]);
}

export interface DigView {
  status: string | undefined;
  flags: string[];
  /** EDNS version from the reply's OPT, when dig shows one. */
  ednsVersion: number | undefined;
  ednsUdp: number | undefined;
  ednsFlags: string[];
  ede: string | undefined;
  answer: string[];
  authority: string[];
  size: number | undefined;
  text: string;
}

function section(text: string, title: string): string[] {
  const m = new RegExp(`;; ${title} SECTION:\\n([\\s\\S]*?)(?:\\n\\n|$)`).exec(text);
  return m ? m[1]!.split('\n').filter((l) => l.trim() && !l.startsWith(';')) : [];
}

/** The parts of dig (BIND 9.18) or kdig (Knot 3.x) output the tests look at. */
export function parseDigOutput(text: string): DigView {
  const flagLine = /;; flags: ([^;]*);/.exec(text) ?? /;; Flags: ([^;]*);/.exec(text);
  const digEdns = /; EDNS: version: (\d+), flags:([^;]*); udp: (\d+)/.exec(text);
  const kdigEdns = /;; Version: (\d+); flags:([^;]*); UDP size: (\d+) B/.exec(text);
  const edns = digEdns ?? kdigEdns;
  return {
    status: /status: ([A-Z]+)/.exec(text)?.[1],
    flags: flagLine ? flagLine[1]!.trim().split(/\s+/).filter(Boolean) : [],
    ednsVersion: edns ? Number(edns[1]) : undefined,
    ednsFlags: edns ? edns[2]!.trim().split(/\s+/).filter(Boolean) : [],
    ednsUdp: edns ? Number(edns[3]) : undefined,
    ede: /EDE: ([^\n]*)/.exec(text)?.[1],
    answer: section(text, 'ANSWER'),
    authority: section(text, 'AUTHORITY'),
    size: Number(/MSG SIZE {2}rcvd: (\d+)/.exec(text)?.[1] ?? /;; Received (\d+) B/.exec(text)?.[1] ?? NaN) || undefined,
    text,
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
