/**
 * A least-recently-used map bounded by entries and by total weight (a Map keeps insertion order, so
 * re-inserting on read moves an entry to the back and the front is the eviction victim).
 */
export class LruMap<K, V> {
  private readonly map = new Map<K, { value: V; weight: number }>();
  private totalWeight = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxWeight = Number.POSITIVE_INFINITY,
    private readonly weigh: (value: V) => number = () => 1,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get weight(): number {
    return this.totalWeight;
  }

  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (!entry) return undefined;
    this.map.delete(key);
    this.map.set(key, entry);
    return entry.value;
  }

  set(key: K, value: V): void {
    this.delete(key);
    const weight = this.weigh(value);
    // One entry heavier than the whole budget would only evict everything else.
    if (weight > this.maxWeight) return;
    this.map.set(key, { value, weight });
    this.totalWeight += weight;
    while (this.map.size > this.maxEntries || this.totalWeight > this.maxWeight) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
  }

  delete(key: K): boolean {
    const entry = this.map.get(key);
    if (!entry) return false;
    this.map.delete(key);
    this.totalWeight -= entry.weight;
    return true;
  }

  /** Drops every entry `test` accepts; O(size). */
  deleteWhere(test: (key: K, value: V) => boolean): void {
    for (const [key, entry] of this.map) if (test(key, entry.value)) this.delete(key);
  }

  clear(): void {
    this.map.clear();
    this.totalWeight = 0;
  }
}
