import type { Principal } from '../auth/principal.js';

const TOMBSTONE_MS = 60_000;

interface Entry {
  /** null: no such key, or revoked. */
  principal: Principal | null;
  keyId?: string;
  cachedAt: number;
}

/**
 * Key lookups by key hash, so a request costs no database round trip. Bounded: the oldest entries go
 * first once `maxEntries` is reached (Map iteration order is insertion order).
 */
export class KeyCache {
  private readonly entries = new Map<string, Entry>();
  /** Keys revoked lately: a lookup that raced the revocation must not cache them as valid. */
  private readonly tombstones = new Map<string, number>();

  constructor(private readonly maxEntries = 10_000) {}

  /** `maxAgeMs` is decided at read time: it shrinks while revocations cannot be heard. */
  get(hash: string, now: number, maxAgeMs: number): Entry | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    if (now - entry.cachedAt >= maxAgeMs) {
      this.entries.delete(hash);
      return undefined;
    }
    return entry;
  }

  /** Returns what was cached: null for a key revoked while it was being looked up. */
  set(hash: string, principal: Principal | null, now: number): Principal | null {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    const revokedAt = principal?.keyId ? this.tombstones.get(principal.keyId) : undefined;
    const live = revokedAt === undefined || now - revokedAt > TOMBSTONE_MS ? principal : null;
    this.entries.set(hash, { principal: live, keyId: principal?.keyId, cachedAt: now });
    return live;
  }

  /** Forgets every cached lookup of one key (revocation). */
  evictKey(keyId: string, now = Date.now()): void {
    for (const [id, at] of this.tombstones) if (now - at > TOMBSTONE_MS) this.tombstones.delete(id);
    this.tombstones.set(keyId, now);
    for (const [hash, entry] of this.entries) if (entry.keyId === keyId) this.entries.delete(hash);
  }

  clear(): void {
    this.entries.clear();
  }
}
