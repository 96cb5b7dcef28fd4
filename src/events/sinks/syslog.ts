import { formatCefSyslog } from '../format/cef.js';
import { formatRfc5424, origin, type FormatLimits, type Origin } from '../format/rfc5424.js';
import type { HitEvent, Sink } from '../types.js';
import { StreamTransport, UdpTransport, type Transport } from './syslog-transport.js';

export interface SyslogOptions {
  host: string;
  port: number;
  protocol: 'udp' | 'tcp' | 'tls';
  format: 'rfc5424' | 'cef';
  appName: string;
  /** PEM trust anchors for tls; undefined: the system's. */
  ca?: Buffer;
  /** First reconnect delay (tests shorten it). */
  backoffMs?: number;
}

/** RFC 5426 asks every receiver to take 2048-byte datagrams; longer ones may be cut or lost. */
export const MAX_DATAGRAM = 2048;
/** Tried in turn until a message fits a datagram: no MSG text, then shorter and shorter values. */
const SHRINK: FormatLimits[] = [
  { maxValue: Infinity, msg: true },
  { maxValue: 256, msg: false },
  { maxValue: 64, msg: false },
  { maxValue: 16, msg: false },
];

/** Hits to a syslog collector, RFC 5424 with the hit as structured data, or CEF as the message. */
export class SyslogSink implements Sink {
  readonly name = 'syslog';
  private readonly transport: Transport;
  private readonly origin: Origin;
  private readonly format: (e: HitEvent, o: Origin, limits?: FormatLimits) => string;

  constructor(private readonly o: SyslogOptions) {
    const to = { host: o.host, port: o.port };
    this.transport =
      o.protocol === 'udp' ? new UdpTransport(to) : new StreamTransport(to, o.protocol === 'tls' ? { ca: o.ca } : undefined, o.backoffMs);
    this.origin = origin(o.appName);
    this.format = o.format === 'cef' ? formatCefSyslog : formatRfc5424;
  }

  send(batch: readonly HitEvent[]): Promise<void> {
    const messages = batch.map((e) => (this.o.protocol === 'udp' ? this.datagram(e) : Buffer.from(this.format(e, this.origin))));
    return this.transport.send(messages);
  }

  /** A message that fits one datagram, shrunk only when it has to be. */
  private datagram(e: HitEvent): Buffer {
    let message = Buffer.alloc(0);
    for (const limits of SHRINK) {
      message = Buffer.from(this.format(e, this.origin, limits));
      if (message.length <= MAX_DATAGRAM) return message;
    }
    return message.subarray(0, MAX_DATAGRAM); // a last guard: the smallest limits above always fit
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
