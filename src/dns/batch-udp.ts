import { createRequire } from 'node:module';

/**
 * The batched UDP helper built from native/dns-udp at install (Linux only). Node's own UDP
 * socket costs a system call and a trip into JavaScript per datagram each way, which measured
 * as most of what a DNS answer costs; the helper receives and sends up to 64 at a time.
 */
export interface BatchUdp {
  /**
   * Binds `host:port`, alone (`group` 1) or as one of `group` sockets sharing it, each datagram
   * going to one of them at random. Calls `onBatch` with the datagrams that arrived together:
   * one buffer holding them back to back, their lengths, and the clients' ports and addresses.
   * Entry i of the array it returns is sent to client i when it is a Buffer.
   */
  open(host: string, port: number, group: number, onBatch: OnBatch): BatchSocket;
  port(socket: BatchSocket): number;
  /** A reply that was not ready within its batch. */
  send(socket: BatchSocket, reply: Buffer, port: number, address: string): void;
  close(socket: BatchSocket): void;
  /**
   * Tells this thread's garbage collector that `change` bytes it cannot see were taken (or,
   * negative, let go); returns the thread's new total. See holdSharedSet.
   */
  externalMemory(change: number): number;
}

export type OnBatch = (data: Buffer, lengths: Int32Array, ports: Int32Array, addresses: string[], count: number) => (Buffer | undefined)[];

declare const batchSocket: unique symbol;
export type BatchSocket = { readonly [batchSocket]: true };

let loaded: BatchUdp | null | undefined;

/** The helper, or undefined where it was not built (no compiler, not Linux). */
export function batchUdp(): BatchUdp | undefined {
  if (loaded === undefined) {
    try {
      loaded = createRequire(import.meta.url)('../../native/dns-udp/build/Release/sluice_dns_udp.node') as BatchUdp;
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}
