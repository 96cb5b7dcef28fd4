/**
 * A set version as the store sees it: JSON metadata and named byte sections. The store does
 * not know what the sections mean; it keeps them together and hands them back intact.
 */
export interface SetImage {
  meta: { version: number } & Record<string, unknown>;
  sections: Record<string, Uint8Array>;
  /**
   * Records by lookup key, for gateways that keep only the Bloom filter in memory. A shared
   * store keeps them beside the sections; a local one has no use for them.
   */
  index?: () => Iterable<[string, string]>;
}

/**
 * Where set versions live between processes and restarts. `memory` keeps the current version
 * in a snapshot file in data_dir; `redis` shares versions between gateways.
 */
export interface SetStore {
  /** The newest complete version, or undefined when there is none yet. */
  loadLatest(): Promise<SetImage | undefined>;
  /** Persists a version completely; it becomes the latest only once fully written. */
  save(image: SetImage): Promise<void>;
  /** A version id greater than any saved before. */
  nextVersion(): Promise<number>;
  close(): Promise<void>;
}
