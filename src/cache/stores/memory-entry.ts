/** One entry of the memory store. The links belong to whichever eviction order holds the entry. */
export class MemoryEntry {
  prev?: MemoryEntry;
  next?: MemoryEntry;
  /** LFU only: the bucket of entries with the same hit count. */
  bucket?: FrequencyBucket;

  constructor(
    readonly key: string,
    readonly value: Buffer,
    readonly bytes: number,
    /** Monotonic clock (`performance.now()`); `Infinity` = never. */
    readonly expiresAt: number,
  ) {}
}

/** An intrusive doubly linked list: O(1) append, unlink and oldest, no allocation per operation. */
export class EntryList {
  head?: MemoryEntry;
  tail?: MemoryEntry;

  get empty(): boolean {
    return this.head === undefined;
  }

  append(entry: MemoryEntry): void {
    entry.prev = this.tail;
    entry.next = undefined;
    if (this.tail) this.tail.next = entry;
    else this.head = entry;
    this.tail = entry;
  }

  unlink(entry: MemoryEntry): void {
    if (entry.prev) entry.prev.next = entry.next;
    else this.head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else this.tail = entry.prev;
    entry.prev = undefined;
    entry.next = undefined;
  }

  clear(): void {
    this.head = undefined;
    this.tail = undefined;
  }
}

/** LFU: the entries hit `count` times, oldest first, in a list of buckets ordered by count. */
export class FrequencyBucket {
  readonly entries = new EntryList();
  prev?: FrequencyBucket;
  next?: FrequencyBucket;

  constructor(readonly count: number) {}
}
