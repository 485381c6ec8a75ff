/** What a store holds and has done, for `/api/cache/stats` and metrics. */
export interface CacheStoreStats {
  /** Entries held (memory); undefined where counting would cost a scan (Redis). */
  entries?: number;
  /** Bytes held by values (memory). */
  bytes?: number;
  /** Entries dropped to stay within the size bounds. */
  evictions: number;
}

/**
 * A key → bytes store with per-entry TTL. Values are opaque: encoding, compression, encryption and
 * integrity live in the codec, above the store. Keys never contain `*`, `?`, `[` or `]`, so a glob
 * with `*` wildcards selects them for purges. Implementations: memory (L1), Redis (L2), tiered.
 */
export abstract class CacheStore {
  abstract get(key: string): Promise<Buffer | undefined>;
  abstract set(key: string, value: Buffer, ttlMs: number): Promise<void>;
  /** True when the key existed. */
  abstract delete(key: string): Promise<boolean>;
  /** Deletes every key matching `glob` (`*` matches any run of characters); returns how many. */
  abstract deleteMatching(glob: string): Promise<number>;
  abstract stats(): CacheStoreStats;
  /** Stops timers and subscriptions. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** `*` → any run of characters; everything else literal (runs of `*` count as one). */
export function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .split(/\*+/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  // eslint-disable-next-line security/detect-non-literal-regexp -- every character but `*` is escaped above
  return new RegExp(`^${escaped}$`, 's');
}
