import type { MemoryEntry } from './memory-entry.js';

/**
 * Entries grouped by expiry into slots of `slotMs`, swept slot by slot once a slot lies wholly in the past:
 * the sweeper touches only expired entries, never scans live ones, and stops after a budget so a burst of
 * expiries is spread over several ticks.
 */
export class ExpirySchedule {
  private readonly slots = new Map<number, Set<MemoryEntry>>();
  /** The first slot not yet swept. */
  private cursor: number;

  constructor(
    private readonly slotMs: number,
    now: number,
  ) {
    this.cursor = Math.floor(now / slotMs);
  }

  add(entry: MemoryEntry): void {
    if (entry.expiresAt === Infinity) return;
    const slot = this.slotOf(entry);
    let entries = this.slots.get(slot);
    if (!entries) {
      entries = new Set();
      this.slots.set(slot, entries);
    }
    entries.add(entry);
  }

  remove(entry: MemoryEntry): void {
    if (entry.expiresAt === Infinity) return;
    const slot = this.slotOf(entry);
    const entries = this.slots.get(slot);
    if (!entries) return;
    entries.delete(entry);
    if (entries.size === 0) this.slots.delete(slot);
  }

  /** Hands at most `budget` expired entries to `expire`, which must `remove` them; returns how many. */
  sweep(now: number, budget: number, expire: (entry: MemoryEntry) => void): number {
    const pastSlot = Math.floor(now / this.slotMs) - 1;
    let swept = 0;
    while (this.cursor <= pastSlot) {
      if (this.slots.size === 0) {
        this.cursor = pastSlot + 1;
        break;
      }
      const entries = this.slots.get(this.cursor);
      if (entries) {
        for (const entry of entries) {
          if (swept === budget) return swept;
          expire(entry);
          swept++;
        }
      }
      this.cursor++;
    }
    return swept;
  }

  clear(): void {
    this.slots.clear();
  }

  private slotOf(entry: MemoryEntry): number {
    // Never behind the cursor: entries are added unexpired and the cursor trails the clock.
    return Math.floor(entry.expiresAt / this.slotMs);
  }
}
