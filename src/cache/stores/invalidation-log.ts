import { globToRegExp } from '../cache-store.port.js';

interface Invalidation {
  seq: number;
  /** Undefined: everything. */
  key?: string;
  pattern?: RegExp;
}

/**
 * The last few invalidations seen by this instance, numbered. A read from L2 remembers the position
 * before it started and fills L1 only if nothing since may have changed its key: the value it read may
 * predate the change the invalidation announced.
 */
export class InvalidationLog {
  private readonly ring: Invalidation[] = [];
  private seq = 0;

  constructor(private readonly capacity = 1024) {}

  get position(): number {
    return this.seq;
  }

  recordKey(key: string): void {
    this.push({ seq: ++this.seq, key });
  }

  recordGlob(glob: string): void {
    this.push({ seq: ++this.seq, pattern: globToRegExp(glob) });
  }

  recordAll(): void {
    this.push({ seq: ++this.seq });
  }

  /** True when an invalidation after `position` covers `key`, or the log no longer reaches back that far. */
  touchedSince(position: number, key: string): boolean {
    if (this.seq - position > this.capacity) return true;
    for (let seq = position + 1; seq <= this.seq; seq++) {
      const entry = this.ring[seq % this.capacity];
      if (entry.key === undefined && entry.pattern === undefined) return true;
      if (entry.key === key || entry.pattern?.test(key)) return true;
    }
    return false;
  }

  private push(entry: Invalidation): void {
    this.ring[entry.seq % this.capacity] = entry;
  }
}
