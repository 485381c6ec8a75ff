import { randomUUID } from 'node:crypto';
import type { RedisClientType } from '@redis/client';
import { CacheStore, type CacheStoreStats } from '../cache-store.port.js';
import { InvalidationChannel, type InvalidationOp } from './invalidation.channel.js';
import { InvalidationLog } from './invalidation-log.js';
import type { MemoryCacheStore } from './memory.cache-store.js';
import type { RedisCacheStore } from './redis.cache-store.js';

export interface TieredCacheStoreOptions {
  /** L1, owned by this store from now on (closed with it). */
  l1: MemoryCacheStore;
  /** L2, over the same client. */
  l2: RedisCacheStore;
  /** The shared client: publishes invalidations; a duplicate of it subscribes. */
  client: RedisClientType;
  /** The deployment's `redis.keyPrefix`: messages travel on `<keyPrefix>cache:invalidate`. */
  keyPrefix: string;
  /** Tells this instance's own messages apart; default a random UUID. */
  instanceId?: string;
  /** Longest life of an L1 entry while invalidations may be missed; default 1000. */
  unsyncedL1TtlMs?: number;
  /** How often the subscription is checked end to end; default 500. */
  heartbeatMs?: number;
  /** L2 and subscription failures that `get`/`set` swallow. Called per failure: rate-limit the logging. */
  onError?: (err: unknown) => void;
}

/**
 * L1 memory in front of L2 Redis, kept coherent across instances by invalidation messages.
 *
 * Guarantees: once an instance has received the message for an overwrite, delete or purge elsewhere, its
 * L1 never serves the old entry again, including from reads that were in flight (see `InvalidationLog`).
 * While unsynchronised (Redis or the subscription down), L1 entries written then live at most
 * `unsyncedL1TtlMs`, older ones are dropped `unsyncedL1TtlMs` after the disruption, and the whole L1 is
 * dropped again when synchronisation returns, since messages published in between are lost.
 * `get` and `set` never throw: an L2 failure is a miss, or an L1-only write.
 * `delete` and `deleteMatching` clear L1 and then rethrow an L2 failure, so a purge never looks done
 * when it is not.
 */
export class TieredCacheStore extends CacheStore {
  readonly instanceId: string;
  private readonly l1: MemoryCacheStore;
  private readonly l2: RedisCacheStore;
  private readonly channel: InvalidationChannel;
  private readonly log = new InvalidationLog();
  private readonly unsyncedL1TtlMs: number;
  private readonly onError: (err: unknown) => void;
  private unsyncedTimer?: NodeJS.Timeout;

  constructor(options: TieredCacheStoreOptions) {
    super();
    this.instanceId = options.instanceId ?? randomUUID();
    this.l1 = options.l1;
    this.l2 = options.l2;
    this.unsyncedL1TtlMs = options.unsyncedL1TtlMs ?? 1000;
    this.onError = options.onError ?? (() => undefined);
    this.channel = new InvalidationChannel({
      client: options.client,
      channel: `${options.keyPrefix}cache:invalidate`,
      instanceId: this.instanceId,
      heartbeatMs: options.heartbeatMs ?? 500,
      onInvalidate: (op, value) => this.invalidateL1(op, value),
      onSyncChange: (synced) => this.onSyncChange(synced),
      onError: this.onError,
    });
  }

  /** Whether L1 entries may live their full TTL (see the class comment). */
  get synced(): boolean {
    return this.channel.isSynced;
  }

  async get(key: string): Promise<Buffer | undefined> {
    const local = await this.l1.get(key);
    if (local) return local;
    const position = this.log.position;
    let remote;
    try {
      remote = await this.l2.getWithTtl(key);
    } catch (err) {
      this.onError(err);
      return undefined;
    }
    if (!remote) return undefined;
    if (!this.log.touchedSince(position, key))
      await this.l1.set(key, remote.value, this.l1TtlMs(remote.ttlMs));
    return remote.value;
  }

  async set(key: string, value: Buffer, ttlMs: number): Promise<void> {
    let shared = true;
    try {
      await this.l2.set(key, value, ttlMs);
    } catch (err) {
      shared = false;
      this.onError(err);
    }
    this.log.recordKey(key);
    await this.l1.set(key, value, this.l1TtlMs(ttlMs));
    if (shared) await this.channel.publish('key', key);
  }

  async delete(key: string): Promise<boolean> {
    let existed = false;
    try {
      existed = await this.l2.delete(key);
    } finally {
      this.invalidateL1('key', key);
    }
    await this.channel.publish('key', key);
    return existed;
  }

  async deleteMatching(glob: string): Promise<number> {
    let deleted = 0;
    try {
      deleted = await this.l2.deleteMatching(glob);
    } finally {
      this.invalidateL1('glob', glob);
    }
    await this.channel.publish('glob', glob);
    return deleted;
  }

  /** L1's figures: L2's are not counted here. */
  stats(): CacheStoreStats {
    return this.l1.stats();
  }

  override async close(): Promise<void> {
    clearTimeout(this.unsyncedTimer);
    await this.channel.close();
    await this.l1.close();
  }

  private l1TtlMs(ttlMs: number): number {
    return this.channel.isSynced ? ttlMs : Math.min(ttlMs, this.unsyncedL1TtlMs);
  }

  /** Synchronous: memory store methods finish before they return, so nothing is left to await. */
  private invalidateL1(op: InvalidationOp, value: string): void {
    switch (op) {
      case 'key':
        this.log.recordKey(value);
        void this.l1.delete(value);
        return;
      case 'glob':
        this.log.recordGlob(value);
        void this.l1.deleteMatching(value);
        return;
    }
  }

  private onSyncChange(synced: boolean): void {
    clearTimeout(this.unsyncedTimer);
    if (synced) {
      this.log.recordAll();
      this.l1.clear();
      return;
    }
    this.unsyncedTimer = setTimeout(() => {
      if (this.channel.isSynced) return;
      this.log.recordAll();
      this.l1.clear();
    }, this.unsyncedL1TtlMs);
    this.unsyncedTimer.unref();
  }
}
