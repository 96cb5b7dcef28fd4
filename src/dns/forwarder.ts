import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { connect } from 'node:net';
import { isIP } from 'node:net';
import { HEADER_BYTES, readUint16, type Query } from './wire.js';

export interface Upstream {
  host: string;
  port: number;
}

interface Pending {
  upstream: Upstream;
  question: Buffer;
  clientId: number;
  resolve: (reply: Buffer | undefined) => void;
  timer: NodeJS.Timeout;
}

/** How many upstreams one query may try before the client gets SERVFAIL. */
const MAX_ATTEMPTS = 2;

/**
 * Relays queries to the configured upstream resolvers and their answers back unchanged, but
 * for the message id. Upstream ids are random and a reply must come from the upstream asked,
 * with the same question, before it is relayed. A failed or silent upstream is followed by the
 * next one; when all fail the caller answers SERVFAIL.
 */
export class Forwarder {
  private readonly pending = new Map<number, Pending>();
  private sockets: { udp4?: UdpSocket; udp6?: UdpSocket } = {};

  constructor(
    private readonly upstreams: readonly Upstream[],
    private readonly timeoutMs: number,
  ) {}

  /** The upstream's reply with the client's id restored, or undefined when none answered. */
  async forward(msg: Uint8Array, query: Query, viaTcp: boolean): Promise<Buffer | undefined> {
    const attempts = Math.min(MAX_ATTEMPTS, this.upstreams.length);
    const start = randomInt(this.upstreams.length);
    for (let i = 0; i < attempts; i++) {
      const upstream = this.upstreams[(start + i) % this.upstreams.length]!;
      const reply = viaTcp ? await this.overTcp(upstream, msg, query) : await this.overUdp(upstream, msg, query);
      if (reply) return reply;
    }
    return undefined;
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
    for (const id of [...this.pending.keys()]) this.settle(id, undefined);
    this.sockets.udp4?.close();
    this.sockets.udp6?.close();
    this.sockets = {};
  }
}

function questionBytes(msg: Uint8Array, query: Query): Buffer {
  return Buffer.from(msg.subarray(HEADER_BYTES, query.questionEnd));
}

function sameHost(configured: string, seen: string): boolean {
  return configured === seen || seen === `::ffff:${configured}`;
}
