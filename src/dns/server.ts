import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { createServer, isIP, type Server, type Socket } from 'node:net';
import type { Logger } from '../log.js';
import { batchUdp, type BatchSocket, type BatchUdp } from './batch-udp.js';
import type { QueryHandler, Reply } from './handler.js';

/** A TCP connection with no complete query for this long is closed (RFC 7766 6.2.3). */
export const TCP_IDLE_TIMEOUT_MS = 10_000;
/** Open TCP connections per listener; more are refused at accept. */
export const MAX_TCP_CONNECTIONS = 512;
/** Free UDP ports tried when port 0 is asked for and TCP finds the same port taken. */
const PORT_ZERO_ATTEMPTS = 10;
/** Open TCP connections one client address may hold, so one client cannot take them all. */
export const MAX_TCP_PER_CLIENT = 32;
/** Queries one TCP connection may have in flight at once. */
const MAX_TCP_INFLIGHT = 32;

export interface Listener {
  host: string;
  port: number;
}

export interface DnsServerOptions {
  /** `auto` takes the batched helper where it was built; `node` always uses Node's UDP socket. */
  udp?: 'auto' | 'node';
  /**
   * How many DNS workers share the UDP port on the helper (SO_REUSEPORT), this one included;
   * 1 or unset binds it alone.
   */
  udpSharers?: number;
  /** `false` for UDP alone: DNS threads leave TCP to the main thread, which holds the port. */
  tcp?: boolean;
}

/**
 * UDP and TCP on every listen address. Asking for port 0 binds UDP to a free port first and
 * then TCP to the same one, so `dig` and `dig +tcp` reach one server.
 */
export class DnsServer {
  private readonly udp: UdpSocket[] = [];
  private readonly batched: { socket: BatchSocket; open: boolean }[] = [];
  private readonly tcp: Server[] = [];
  private readonly connections = new Set<Socket>();
  private readonly perClient = new Map<string, number>();
  readonly bound: Listener[] = [];

  private readonly io: BatchUdp | undefined;

  constructor(
    private readonly handler: QueryHandler,
    private readonly logger: Logger,
    private readonly options: DnsServerOptions = {},
  ) {
    this.io = options.udp === 'node' ? undefined : batchUdp();
  }

  /** How UDP is read and written: `batched` through the helper, `node` through node:dgram. */
  get udpMode(): 'batched' | 'node' {
    return this.io ? 'batched' : 'node';
  }

  async listen(addresses: readonly Listener[]): Promise<void> {
    for (const address of addresses) {
      for (let attempt = 1; ; attempt++) {
        const port = await this.listenUdp(address);
        if (this.options.tcp === false) {
          this.bound.push({ host: address.host, port });
          break;
        }
        try {
          await this.listenTcp({ host: address.host, port });
          this.bound.push({ host: address.host, port });
          break;
        } catch (err) {
          // A port free for UDP may be in use for TCP (say, by an outgoing connection): with
          // port 0 give both up and take another, instead of failing now and then.
          const taken = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
          if (address.port !== 0 || !taken || attempt >= PORT_ZERO_ATTEMPTS) throw err;
          this.tcp.pop();
          this.closeLastUdp();
        }
      }
    }
  }

  private closeLastUdp(): void {
    if (this.io) {
      const last = this.batched.pop()!;
      last.open = false;
      this.io.close(last.socket);
    } else this.udp.pop()!.close();
  }

  private listenUdp(address: Listener): Promise<number> {
    if (this.io) return this.listenBatched(this.io, address);
    const socket = createSocket({ type: isIP(address.host) === 6 ? 'udp6' : 'udp4' });
    socket.on('message', (msg, rinfo) => {
      this.answer(msg, rinfo.address, false, (reply) => {
        try {
          socket.send(reply, rinfo.port, rinfo.address);
        } catch {
          // The socket closed while the answer was being made (shutdown); nothing to do.
        }
      });
    });
    socket.on('error', (err) => this.logger.warn({ err }, 'dns udp socket error'));
    this.udp.push(socket);
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(address.port, address.host, () => {
        socket.off('error', reject);
        resolve(socket.address().port);
      });
    });
  }

  /**
   * UDP through the helper: the replies ready at once go back in the batch's own send; one
   * that waits on an upstream is sent alone when it comes.
   */
  private async listenBatched(io: BatchUdp, address: Listener): Promise<number> {
    // The helper takes addresses only; a name is looked up as Node's UDP socket would
    // (IPv4 unless the host is an IPv6 address), so a config that started before still does.
    const host = isIP(address.host) ? address.host : (await lookup(address.host, { family: 4 })).address;
    const replies: (Buffer | undefined)[] = [];
    const socket = io.open(host, address.port, this.options.udpSharers ?? 1, (data, lengths, ports, clients, count) => {
      replies.length = count;
      let offset = 0;
      for (let i = 0; i < count; i++) {
        const msg = data.subarray(offset, (offset += lengths[i]!));
        const reply = this.handle(msg, clients[i]!, false);
        if (reply instanceof Promise) {
          replies[i] = undefined;
          const client = clients[i]!;
          const port = ports[i]!;
          void reply.then((r) => {
            if (r && entry.open) io.send(socket, r, port, client);
          });
        } else replies[i] = reply;
      }
      return replies;
    });
    const entry = { socket, open: true };
    this.batched.push(entry);
    return io.port(socket);
  }

  private listenTcp(address: Listener): Promise<void> {
    const server = createServer((socket) => this.serveTcp(socket));
    server.maxConnections = MAX_TCP_CONNECTIONS;
    server.on('error', (err) => this.logger.warn({ err }, 'dns tcp server error'));
    this.tcp.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(address.port, address.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  }

  /** Length-prefixed messages (RFC 1035 4.2.2), answered in any order as they complete. */
  private serveTcp(socket: Socket): void {
    let buffered = Buffer.alloc(0);
    let inflight = 0;
    const client = socket.remoteAddress ?? '';
    const held = this.perClient.get(client) ?? 0;
    if (held >= MAX_TCP_PER_CLIENT) {
      socket.destroy();
      return;
    }
    this.perClient.set(client, held + 1);
    this.connections.add(socket);
    socket.on('close', () => {
      this.connections.delete(socket);
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left > 0) this.perClient.set(client, left);
      else this.perClient.delete(client);
    });
    // Idle means no complete query and no answer, not no bytes: with socket.setTimeout a client
    // trickling a byte at a time held its connection (and one of MAX_TCP_CONNECTIONS) forever.
    // A connection still waiting for an answer is not idle.
    const idle = setTimeout(() => (inflight > 0 ? idle.refresh() : socket.destroy()), TCP_IDLE_TIMEOUT_MS);
    socket.on('close', () => clearTimeout(idle));
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      while (buffered.length >= 2) {
        const size = buffered.readUInt16BE(0);
        if (buffered.length < size + 2) break;
        const msg = Buffer.from(buffered.subarray(2, size + 2));
        buffered = buffered.subarray(size + 2);
        idle.refresh();
        if (++inflight > MAX_TCP_INFLIGHT) return socket.destroy();
        this.answer(
          msg,
          socket.remoteAddress ?? '',
          true,
          (reply) => {
            if (socket.destroyed) return;
            idle.refresh();
            const length = Buffer.alloc(2);
            length.writeUInt16BE(reply.length, 0);
            socket.write(Buffer.concat([length, reply]));
          },
          () => inflight--,
        );
      }
    });
  }

  /**
   * Hands a message to the handler and `send`s its reply, at once when the handler answers at
   * once. A fault in the handler is logged, never thrown into the socket's event.
   */
  private answer(msg: Buffer, client: string, viaTcp: boolean, send: (reply: Buffer) => void, done: () => void = () => undefined): void {
    const reply = this.handle(msg, client, viaTcp);
    if (!(reply instanceof Promise)) {
      done();
      if (reply) send(reply);
      return;
    }
    void reply.then((r) => {
      done();
      if (r) send(r);
    });
  }

  /** The handler's reply, with its faults logged: a promise only when it has to wait. */
  private handle(msg: Buffer, client: string, viaTcp: boolean): Reply | Promise<Reply> {
    try {
      const reply = this.handler.handle(msg, client, viaTcp);
      if (!(reply instanceof Promise)) return reply;
      return reply.catch((err: unknown) => {
        this.logger.error({ err }, 'dns handler failed');
        return undefined;
      });
    } catch (err) {
      this.logger.error({ err }, 'dns handler failed');
      return undefined;
    }
  }

  async close(): Promise<void> {
    for (const entry of this.batched) {
      entry.open = false;
      this.io!.close(entry.socket);
    }
    this.batched.length = 0;
    for (const socket of this.udp) {
      try {
        socket.close();
      } catch {
        // already closed
      }
    }
    for (const socket of this.connections) socket.destroy();
    await Promise.all(this.tcp.map((s) => new Promise((resolve) => s.close(resolve))));
    this.udp.length = 0;
    this.tcp.length = 0;
  }
}
