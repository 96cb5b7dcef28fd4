import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { backoffMs, sleep } from '../backoff.js';

/** Carries finished syslog messages to the collector. */
export interface Transport {
  send(messages: readonly Buffer[]): Promise<void>;
  close(): void;
}

export interface Endpoint {
  host: string;
  port: number;
}

/**
 * RFC 5426: one message per datagram. The socket is connected, so a collector that is not
 * listening shows up as ECONNREFUSED on a later send (and the batch counts as failed).
 */
export class UdpTransport implements Transport {
  private socket: Promise<UdpSocket> | undefined;
  private current: UdpSocket | undefined;

  constructor(private readonly to: Endpoint) {}

  async send(messages: readonly Buffer[]): Promise<void> {
    const socket = await (this.socket ??= this.open());
    await Promise.all(
      messages.map((m) => new Promise<void>((resolve, reject) => socket.send(m, (err) => (err ? reject(err) : resolve())))),
    ).catch((err: unknown) => {
      this.reset(socket);
      throw err;
    });
  }

  private open(): Promise<UdpSocket> {
    const socket = createSocket(isIP(this.to.host) === 6 ? 'udp6' : 'udp4');
    this.current = socket;
    socket.on('error', () => this.reset(socket));
    const opened = new Promise<UdpSocket>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(this.to.port, this.to.host, () => {
        socket.off('error', reject);
        resolve(socket);
      });
    });
    opened.catch(() => this.reset(socket));
    return opened;
  }

  private reset(socket: UdpSocket): void {
    if (this.current === socket) {
      this.current = undefined;
      this.socket = undefined;
    }
    try {
      socket.close();
    } catch {
      // already closed
    }
  }

  close(): void {
    if (this.current) this.reset(this.current);
  }
}

/** Tries per batch before it is given up (and counted as dropped). */
const ATTEMPTS = 3;
const BACKOFF_BASE_MS = 500;
const CONNECT_TIMEOUT_MS = 5000;
/** A collector that stops reading must not hold the sink forever: the connection is dropped. */
const WRITE_TIMEOUT_MS = 10_000;

/**
 * RFC 6587 octet counting (`LEN SP MSG`) over one long-lived TCP or TLS connection. A failed
 * connect or write drops the connection and tries again after a delay that grows with
 * consecutive failures, so a collector that is down is not hammered. A batch cut off by a
 * broken connection is sent again whole: the collector may see a few events twice.
 */
export class StreamTransport implements Transport {
  private socket: Socket | undefined;
  private connecting: Socket | undefined;
  private failures = 0;
  private readonly closing = new AbortController();

  constructor(
    private readonly to: Endpoint,
    /** TLS with these trust anchors (undefined: the system's); absent: plain TCP. */
    private readonly tls?: { ca: Buffer | undefined },
    private readonly backoffBaseMs = BACKOFF_BASE_MS,
  ) {}

  async send(messages: readonly Buffer[]): Promise<void> {
    const frames: Buffer[] = [];
    for (const m of messages) frames.push(Buffer.from(`${m.length} `), m);
    const data = Buffer.concat(frames);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.write(this.socket ?? (await this.connect()), data);
        this.failures = 0;
        return;
      } catch (err) {
        this.socket?.destroy();
        this.socket = undefined;
        this.failures++;
        if (this.closing.signal.aborted || attempt >= ATTEMPTS) throw err;
        await sleep(backoffMs(this.failures - 1, this.backoffBaseMs), this.closing.signal);
      }
    }
  }

  private connect(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const { host, port } = this.to;
      const socket = this.tls
        ? tlsConnect({ host, port, ca: this.tls.ca, ...(isIP(host) ? {} : { servername: host }) })
        : netConnect({ host, port });
      this.connecting = socket;
      const timer = setTimeout(() => socket.destroy(new Error(`connect to ${host}:${port} timed out`)), CONNECT_TIMEOUT_MS);
      const fail = (err: Error) => {
        clearTimeout(timer);
        this.connecting = undefined;
        socket.destroy();
        reject(err);
      };
      socket.once('error', fail);
      socket.once(this.tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        this.connecting = undefined;
        socket.off('error', fail);
        socket.on('error', () => socket.destroy());
        socket.on('close', () => {
          if (this.socket === socket) this.socket = undefined;
        });
        socket.setKeepAlive(true, 60_000);
        socket.resume(); // a collector has nothing to say; whatever it sends is discarded
        this.socket = socket;
        resolve(socket);
      });
    });
  }

  private write(socket: Socket, data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => socket.destroy(new Error('write timed out')), WRITE_TIMEOUT_MS);
      socket.write(data, (err) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      });
    });
  }

  close(): void {
    this.closing.abort();
    this.connecting?.destroy();
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    // Written data is sent before the FIN; a write still waiting is abandoned.
    if (socket.writableLength === 0) socket.end();
    else socket.destroy();
  }
}
