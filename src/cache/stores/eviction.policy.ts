import type { EvictionPolicy } from '../../config/app-config.js';
import { EntryList, FrequencyBucket, type MemoryEntry } from './memory-entry.js';

/** The order in which the memory store gives entries up; every operation is O(1). */
export interface EvictionOrder {
  add(entry: MemoryEntry): void;
  /** The entry was read. */
  touch(entry: MemoryEntry): void;
  remove(entry: MemoryEntry): void;
  /** The entry to drop next, if any. */
  victim(): MemoryEntry | undefined;
  clear(): void;
}

export function createEvictionOrder(policy: EvictionPolicy): EvictionOrder {
  switch (policy) {
    case 'lru':
      return new RecencyOrder(true);
    case 'fifo':
      return new RecencyOrder(false);
    case 'lfu':
      return new FrequencyOrder();
  }
}

/** LRU when reads move an entry to the back, FIFO when they do not. */
class RecencyOrder implements EvictionOrder {
  private readonly list = new EntryList();

  constructor(private readonly readsRefresh: boolean) {}

  add(entry: MemoryEntry): void {
    this.list.append(entry);
  }

  touch(entry: MemoryEntry): void {
    if (!this.readsRefresh || this.list.tail === entry) return;
    this.list.unlink(entry);
    this.list.append(entry);
  }

  remove(entry: MemoryEntry): void {
    this.list.unlink(entry);
  }

  victim(): MemoryEntry | undefined {
    return this.list.head;
  }

  clear(): void {
    this.list.clear();
  }
}

/**
 * LFU in O(1) (Shah, Mitra & Matani): buckets of equal hit count in ascending order, each a list in the
 * order entries reached that count, so ties go to the entry that has held the lowest count longest.
 */
class FrequencyOrder implements EvictionOrder {
  private lowest?: FrequencyBucket;

  add(entry: MemoryEntry): void {
    let bucket = this.lowest;
    if (bucket?.count !== 0) bucket = this.insertBucket(0, undefined, this.lowest);
    entry.bucket = bucket;
    bucket.entries.append(entry);
  }

  touch(entry: MemoryEntry): void {
    const from = entry.bucket;
    if (!from) return;
    let to = from.next;
    if (to?.count !== from.count + 1) to = this.insertBucket(from.count + 1, from, from.next);
    from.entries.unlink(entry);
    entry.bucket = to;
    to.entries.append(entry);
    if (from.entries.empty) this.removeBucket(from);
  }

  remove(entry: MemoryEntry): void {
    const bucket = entry.bucket;
    if (!bucket) return;
    bucket.entries.unlink(entry);
    entry.bucket = undefined;
    if (bucket.entries.empty) this.removeBucket(bucket);
  }

  victim(): MemoryEntry | undefined {
    return this.lowest?.entries.head;
  }

  clear(): void {
    this.lowest = undefined;
  }

  private insertBucket(count: number, prev?: FrequencyBucket, next?: FrequencyBucket): FrequencyBucket {
    const bucket = new FrequencyBucket(count);
    bucket.prev = prev;
    bucket.next = next;
    if (prev) prev.next = bucket;
    else this.lowest = bucket;
    if (next) next.prev = bucket;
    return bucket;
  }

  private removeBucket(bucket: FrequencyBucket): void {
    if (bucket.prev) bucket.prev.next = bucket.next;
    else this.lowest = bucket.next;
    if (bucket.next) bucket.next.prev = bucket.prev;
  }
}
