import type { Config } from '../config/load.js';
import type { FeedStatus } from './feed-status.js';

/** What the gateway thread sends to the syncer thread. */
export type ToSyncer =
  | { type: 'start' }
  | { type: 'sync'; id: number; feed: string }
  | { type: 'metrics'; id: number }
  | { type: 'accept'; id: number; feed: string }
  | { type: 'overrides'; id: number }
  | { type: 'stop' };

/** What the syncer thread sends back. */
export type FromSyncer =
  | { type: 'set'; meta: { version: number } & Record<string, unknown>; sections: Record<string, Uint8Array> }
  | { type: 'status'; feeds: FeedStatus[] }
  | { type: 'store'; degraded: boolean }
  | { type: 'loaded' }
  | { type: 'ran' }
  | { type: 'reply'; id: number; value: unknown }
  | { type: 'stopped' };

export interface SyncerWorkerData {
  config: Config;
  /** Hand sets over in shared memory, for DNS threads to read (see shareSet). */
  shareSets?: boolean;
}
