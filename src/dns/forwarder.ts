import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { connect } from 'node:net';
import { isIP } from 'node:net';
import { request, type Dispatcher } from 'undici';
import { HEADER_BYTES, readUint16, type Query } from './wire.js';

/** A resolver over UDP and TCP (host, port), or over HTTPS (url, RFC 8484). */
export interface Upstream {
  host: string;
  port: number;
  url?: string;
}

/** Consecutive failures after which an upstream is set aside. */
const FAILURES_TO_DOWN = 3;
/** How long a down upstream is set aside before queries try it again (probes may revive it sooner). */
const DOWN_MS = 30_000;

interface Health {
  failures: number;
  downUntil: number;
}

interface Pending {
  upstream: Upstream;
  question: Buffer;
  clientId: number;
  resolve: (reply: Buffer | undefined) => void;
  timer: NodeJS.Timeout;
}

/** How many upstreams one query may try before the client gets SERVFAIL. */
const MAX_ATTEMPTS = 3;

/**
 * Relays queries to the configured upstream resolvers and their answers back unchanged, but
 * for the message id. Upstream ids are random and a reply must come from the upstream asked,
 * with the same question, before it is relayed. A failed or silent upstream is followed by the
 * next one; when all fail the caller answers SERVFAIL.
 */
export class Forwarder {
  private readonly pending = new Map<number, Pending>();
  private sockets: { udp4?: UdpSocket; udp6?: UdpSocket } = {};
  private readonly health: Health[];
  private probeTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly upstreams: readonly Upstream[],
    private readonly timeoutMs: number,
    /** Called with an upstream's label each time a try fails. */
    private readonly onFailure: (upstream: string) => void = () => undefined,
    /** The HTTP client for DNS-over-HTTPS upstreams (tests pass one that trusts their CA). */
    private readonly dispatcher?: Dispatcher,
  ) {
    this.health = upstreams.map(() => ({ failures: 0, downUntil: 0 }));
  }

  /**
   * The upstream's reply with the client's id restored, or undefined when none answered.
   * Healthy upstreams are tried first, spread at random; one set aside is tried only when
   * nothing else is left. A truncated UDP answer is fetched again over TCP.
   */
  async forward(msg: Uint8Array, query: Query, viaTcp: boolean): Promise<Buffer | undefined> {
    for (const i of this.order()) {
      const upstream = this.upstreams[i]!;
      let reply = await this.ask(upstream, msg, query, viaTcp);
      if (reply && !viaTcp && !upstream.url && reply[2]! & 0x02) reply = (await this.overTcp(upstream, msg, query)) ?? reply;
      this.record(i, reply !== undefined);
      if (reply) return reply;
    }
    return undefined;
  }

  private ask(upstream: Upstream, msg: Uint8Array, query: Query, viaTcp: boolean): Promise<Buffer | undefined> {
    if (upstream.url) return this.overHttps(upstream.url, msg, query);
    return viaTcp ? this.overTcp(upstream, msg, query) : this.overUdp(upstream, msg, query);
  }

  /** Indexes of the upstreams to try, healthy ones first from a random start. */
  private order(): number[] {
    const now = Date.now();
    const n = this.upstreams.length;
    const start = randomInt(n);
    const all = Array.from({ length: n }, (_, k) => (start + k) % n);
    const up = all.filter((i) => this.health[i]!.downUntil <= now);
    const down = all.filter((i) => this.health[i]!.downUntil > now);
    return [...up, ...down].slice(0, Math.min(MAX_ATTEMPTS, n));
  }

  private record(i: number, ok: boolean): void {
    const h = this.health[i]!;
    if (ok) {
      h.failures = 0;
      h.downUntil = 0;
      return;
    }
    this.onFailure(label(this.upstreams[i]!));
    if (++h.failures >= FAILURES_TO_DOWN) h.downUntil = Date.now() + DOWN_MS;
  }

  /** Whether each upstream is in use, for /readyz and tests. */
  status(): Array<{ upstream: string; up: boolean; failures: number }> {
    const now = Date.now();
    return this.upstreams.map((u, i) => ({ upstream: label(u), up: this.health[i]!.downUntil <= now, failures: this.health[i]!.failures }));
  }

  /**
   * Asks each upstream that is set aside for the root's NS every `intervalMs`, and brings it
   * back at its first answer, instead of letting client queries find out.
   */
  startHealthChecks(intervalMs: number): void {
    const probe = Buffer.from([0, 0, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1]);
    const query: Query = { id: 0, flags: 0x0100, opcode: 0, name: '', exactName: '', qtype: 2, qclass: 1, questionEnd: probe.length, edns: undefined };
    this.probeTimer = setInterval(() => {
      const now = Date.now();
      this.upstreams.forEach((upstream, i) => {
        if (this.health[i]!.downUntil <= now) return;
        void this.ask(upstream, probe, query, false).then((reply) => {
          if (reply) this.record(i, true);
        });
      });
    }, intervalMs);
    this.probeTimer.unref();
  }

  /** RFC 8484 POST; the id goes out as 0 (cache-friendly) and comes back as the client's. */
  private async overHttps(url: string, msg: Uint8Array, query: Query): Promise<Buffer | undefined> {
    const out = Buffer.from(msg);
    out.writeUInt16BE(0, 0);
    try {
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/dns-message', accept: 'application/dns-message' },
        body: out,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      });
      if (res.statusCode !== 200) {
        await res.body.dump();
        return undefined;
      }
      const reply = Buffer.from(await res.body.arrayBuffer());
      if (reply.length < HEADER_BYTES || !reply.subarray(HEADER_BYTES, query.questionEnd).equals(Buffer.from(msg.subarray(HEADER_BYTES, query.questionEnd)))) {
        return undefined;
      }
      reply.writeUInt16BE(query.id, 0);
      return reply;
    } catch {
      return undefined;
    }
  }

  private socketFor(upstream: Upstream): UdpSocket {
    const family = isIP(upstream.host) === 6 ? 'udp6' : 'udp4';
    let socket = this.sockets[family];
    if (!socket) {
      socket = createSocket(family);
      socket.on('message', (reply, rinfo) => this.onReply(reply, rinfo.address, rinfo.port));
      socket.on('error', () => undefined);
      socket.unref();
      this.sockets[family] = socket;
    }
    return socket;
  }

  private overUdp(upstream: Upstream, msg: Uint8Array, query: Query): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const id = this.freeId();
      if (id === undefined) return resolve(undefined);
      const out = Buffer.from(msg);
      out.writeUInt16BE(id, 0);
      const timer = setTimeout(() => this.settle(id, undefined), this.timeoutMs);
      this.pending.set(id, {
        upstream,
        question: questionBytes(msg, query),
        clientId: query.id,
        resolve,
        timer,
      });
      this.socketFor(upstream).send(out, upstream.port, upstream.host, (err) => {
        if (err) this.settle(id, undefined);
      });
    });
  }

  private onReply(reply: Buffer, address: string, port: number): void {
    if (reply.length < HEADER_BYTES) return;
    const id = readUint16(reply, 0);
    const pending = this.pending.get(id);
    if (!pending || pending.upstream.port !== port || !sameHost(pending.upstream.host, address)) return;
    // A reply for a different question is forged or stale: ignore it and keep waiting.
    if (!reply.subarray(HEADER_BYTES, HEADER_BYTES + pending.question.length).equals(pending.question)) return;
    reply.writeUInt16BE(pending.clientId, 0);
    this.settle(id, reply);
  }

  private settle(id: number, reply: Buffer | undefined): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    pending.resolve(reply);
  }

  private freeId(): number | undefined {
    for (let tries = 0; tries < 16; tries++) {
      const id = randomInt(65536);
      if (!this.pending.has(id)) return id;
    }
    return undefined;
  }

  private overTcp(upstream: Upstream, msg: Uint8Array, query: Query): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const socket = connect({ host: upstream.host, port: upstream.port });
      const chunks: Buffer[] = [];
      let done = false;
      const finish = (reply: Buffer | undefined) => {
        if (done) return;
        done = true;
        socket.destroy();
        resolve(reply);
      };
      socket.setTimeout(this.timeoutMs, () => finish(undefined));
      socket.on('error', () => finish(undefined));
      socket.on('connect', () => {
        const length = Buffer.alloc(2);
        length.writeUInt16BE(msg.length, 0);
        socket.write(Buffer.concat([length, msg]));
      });
      socket.on('data', (chunk) => {
        chunks.push(chunk);
        const all = Buffer.concat(chunks);
        if (all.length < 2) return;
        const size = all.readUInt16BE(0);
        if (all.length < size + 2) return;
        const reply = Buffer.from(all.subarray(2, size + 2));
        if (reply.length < HEADER_BYTES || readUint16(reply, 0) !== query.id) return finish(undefined);
        finish(reply);
      });
      socket.on('close', () => finish(undefined));
    });
  }

  close(): void {
    clearInterval(this.probeTimer);
    for (const id of [...this.pending.keys()]) this.settle(id, undefined);
    this.sockets.udp4?.close();
    this.sockets.udp6?.close();
    this.sockets = {};
  }
}

function label(u: Upstream): string {
  return u.url ?? (u.host.includes(':') ? `[${u.host}]:${u.port}` : `${u.host}:${u.port}`);
}

function questionBytes(msg: Uint8Array, query: Query): Buffer {
  return Buffer.from(msg.subarray(HEADER_BYTES, query.questionEnd));
}

function sameHost(configured: string, seen: string): boolean {
  return configured === seen || seen === `::ffff:${configured}`;
}
