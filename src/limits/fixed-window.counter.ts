export interface WindowHit {
  hits: number;
  /** Milliseconds until the window ends. */
  ttlMs: number;
}

/**
 * In-process fixed windows that start at their first hit, as the Redis script's do. Expired windows
 * are swept when the map grows, so memory follows the number of active callers.
 */
export class FixedWindowCounter {
  private readonly windows = new Map<string, { hits: number; endsAt: number }>();
  private nextSweepAt = 0;

  hit(key: string, windowMs: number, now = Date.now()): WindowHit {
    this.sweep(now);
    let w = this.windows.get(key);
    if (!w || w.endsAt <= now) {
      w = { hits: 0, endsAt: now + windowMs };
      this.windows.set(key, w);
    }
    w.hits += 1;
    return { hits: w.hits, ttlMs: w.endsAt - now };
  }

  private sweep(now: number): void {
    if (now < this.nextSweepAt) return;
    this.nextSweepAt = now + 10_000;
    for (const [key, w] of this.windows) if (w.endsAt <= now) this.windows.delete(key);
  }
}
