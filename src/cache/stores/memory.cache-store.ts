import type { EvictionPolicy } from '../../config/app-config.js';
import { CacheStore, type CacheStoreStats, globToRegExp } from '../cache-store.port.js';
import { type CachedValue, liveTtlMs } from './cached-value.js';
import { createEvictionOrder, type EvictionOrder } from './eviction.policy.js';
import { ExpirySchedule } from './expiry-schedule.js';
import { MemoryEntry } from './memory-entry.js';

export interface MemoryCacheStoreOptions {
  /** 0 stores nothing. */
  maxEntries: number;
  /** Value bytes plus key length, summed over entries. */
  maxBytes: number;
  policy: EvictionPolicy;
  /** How often expired entries are swept; default 1000, 0 = no timer (expired entries still never served). */
  sweepIntervalMs?: number;
}

/** Expired entries dropped per sweeper tick, so one tick never holds the event loop for long. */
const SWEEP_BUDGET = 10_000;
/** Expired entries dropped before evicting live ones to make room. */
const ROOM_SWEEP_BUDGET = 64;

const now = (): number => performance.now();

/**
 * The in-process tier: bounded by entries and bytes after every `set`, evicting by LRU, LFU or FIFO in O(1).
 * Values are copied on `set` (a slice of a pooled buffer would otherwise pin its whole slab); `get` returns
 * the stored buffer, which callers must not modify. An overwrite is a new entry: it goes to the back of
 * the FIFO/LRU order and starts LFU counting from zero. Every method does its work before returning its
 * (already settled) promise; the tiered store relies on that to order L1 changes against invalidations.
 */
export class MemoryCacheStore extends CacheStore {
  private readonly entries = new Map<string, MemoryEntry>();
  private readonly order: EvictionOrder;
  private readonly expiry: ExpirySchedule;
  private readonly sweeper?: NodeJS.Timeout;
  private bytes = 0;
  private evictions = 0;

  constructor(private readonly options: MemoryCacheStoreOptions) {
    super();
    const sweepIntervalMs = options.sweepIntervalMs ?? 1000;
    this.order = createEvictionOrder(options.policy);
    this.expiry = new ExpirySchedule(Math.min(Math.max(sweepIntervalMs, 10), 1000), now());
    if (sweepIntervalMs > 0) {
      this.sweeper = setInterval(() => this.sweep(SWEEP_BUDGET), sweepIntervalMs);
      this.sweeper.unref();
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    return this.read(key)?.value;
  }

  async getWithTtl(key: string): Promise<CachedValue | undefined> {
    const entry = this.read(key);
    return entry && { value: entry.value, ttlMs: entry.expiresAt - now() };
  }

  async set(key: string, value: Buffer, ttlMs: number): Promise<void> {
    const existing = this.entries.get(key);
    if (existing) this.remove(existing);
    const ttl = liveTtlMs(ttlMs);
    const bytes = value.byteLength + key.length;
    if (ttl === undefined || bytes > this.options.maxBytes || this.options.maxEntries < 1) return;
    this.makeRoom(bytes);
    const copy = Buffer.allocUnsafeSlow(value.byteLength);
    value.copy(copy);
    const entry = new MemoryEntry(key, copy, bytes, now() + ttl);
    this.entries.set(key, entry);
    this.bytes += bytes;
    this.order.add(entry);
    this.expiry.add(entry);
  }

  async delete(key: string): Promise<boolean> {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.remove(entry);
    return entry.expiresAt > now();
  }

  async deleteMatching(glob: string): Promise<number> {
    const pattern = globToRegExp(glob);
    const at = now();
    let deleted = 0;
    for (const entry of this.entries.values()) {
      if (!pattern.test(entry.key)) continue;
      this.remove(entry);
      if (entry.expiresAt > at) deleted++;
    }
    return deleted;
  }

  /** Drops every entry (not counted as evictions). */
  clear(): void {
    this.entries.clear();
    this.order.clear();
    this.expiry.clear();
    this.bytes = 0;
  }

  /** `entries` and `bytes` include expired entries the sweeper has not reached yet. */
  stats(): CacheStoreStats {
    return { entries: this.entries.size, bytes: this.bytes, evictions: this.evictions };
  }

  override async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  private read(key: string): MemoryEntry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now()) {
      this.remove(entry);
      return undefined;
    }
    this.order.touch(entry);
    return entry;
  }

  private makeRoom(bytes: number): void {
    const { maxEntries, maxBytes } = this.options;
    if (this.entries.size < maxEntries && this.bytes + bytes <= maxBytes) return;
    this.sweep(ROOM_SWEEP_BUDGET);
    while (this.entries.size >= maxEntries || this.bytes + bytes > maxBytes) {
      const victim = this.order.victim();
      if (!victim) return;
      this.remove(victim);
      this.evictions++;
    }
  }

  private sweep(budget: number): void {
    this.expiry.sweep(now(), budget, (entry) => this.remove(entry));
  }

  private remove(entry: MemoryEntry): void {
    this.entries.delete(entry.key);
    this.bytes -= entry.bytes;
    this.order.remove(entry);
    this.expiry.remove(entry);
  }
}
