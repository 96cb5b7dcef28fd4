/** Primary → DNS worker. */
export type ToDnsWorker =
  | { type: 'set'; meta: { version: number } & Record<string, unknown>; sections: Record<string, Uint8Array> }
  /** Load version `version` from the snapshot in data_dir, where the syncer wrote it. */
  | { type: 'load'; version: number }
  | { type: 'metrics'; id: number }
  | { type: 'stop' };

/** DNS worker → primary. */
export type FromDnsWorker =
  /** Sent once the worker listens for messages: messages sent before that would be lost. */
  | { type: 'hello' }
  | { type: 'listening'; ports: number[]; udpMode: 'batched' | 'node' }
  | { type: 'failed'; error: string }
  | { type: 'metrics'; id: number; value: unknown[] }
  /** The snapshot did not hold that version: send the set itself. */
  | { type: 'want'; version: number };
