import { createSocket, type Socket } from 'node:dgram';
import dnsPacket from 'dns-packet';

/**
 * A tiny authoritative server on a loopback port, standing in for the upstream resolver:
 * answers A and AAAA for names in `records`, NXDOMAIN for the rest, and remembers every
 * name it was asked, so a test can tell forwarded queries from blocked ones.
 */
export class DnsStub {
  private socket: Socket | undefined;
  readonly asked: string[] = [];
  port = 0;

  constructor(private readonly records: Record<string, { A?: string; AAAA?: string }>) {}

  async start(): Promise<void> {
    const socket = createSocket('udp4');
    this.socket = socket;
    socket.on('message', (msg, rinfo) => {
      let query: dnsPacket.Packet;
      try {
        query = dnsPacket.decode(msg);
      } catch {
        return;
      }
      const q = query.questions?.[0];
      if (!q) return;
      this.asked.push(q.name.toLowerCase());
      const record = this.records[q.name.toLowerCase()];
      const data = q.type === 'A' ? record?.A : q.type === 'AAAA' ? record?.AAAA : undefined;
      const reply = dnsPacket.encode({
        type: 'response',
        id: query.id,
        flags: dnsPacket.AUTHORITATIVE_ANSWER | (record ? 0 : 3),
        questions: query.questions,
        answers: data ? [{ type: q.type, name: q.name, ttl: 300, class: 'IN', data } as dnsPacket.Answer] : [],
      });
      socket.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    this.port = socket.address().port;
  }

  stop(): void {
    this.socket?.close();
  }
}
