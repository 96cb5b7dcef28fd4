import type { Config } from '../../config/load.js';

/** A set as sections of bytes: shared memory for threads, a copy over IPC for processes. */
export type SetMessage = { type: 'set'; meta: { version: number } & Record<string, unknown>; sections: Record<string, Uint8Array> };

/** Main side → DNS worker (thread or process). */
export type ToDnsWorker =
  | SetMessage
  /** Load version `version` from the snapshot in data_dir, where the syncer wrote it (processes). */
  | { type: 'load'; version: number }
  | { type: 'metrics'; id: number }
  /** Answered with a pong while the worker's event loop turns (threads). */
  | { type: 'ping' }
  | { type: 'stop' };

/** DNS worker → main side. */
export type FromDnsWorker =
  /** Sent once the worker listens for messages: messages sent before that would be lost. */
  | { type: 'hello' }
  | { type: 'listening'; ports: number[] }
  | { type: 'failed'; error: string }
  | { type: 'metrics'; id: number; value: unknown[] }
  | { type: 'pong' }
  /** The snapshot did not hold that version: send the set itself. */
  | { type: 'want'; version: number };

export interface DnsThreadData {
  config: Config;
  id: number;
  /** The ports the main thread bound, one per `dns.listen` entry. */
  ports: number[];
  set?: SetMessage;
}
