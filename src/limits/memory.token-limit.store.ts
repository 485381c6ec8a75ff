import {
  DAY_TTL_MS,
  MINUTE_TTL_MS,
  type ReserveArgs,
  type ReserveOutcome,
  type SettleArgs,
  TokenLimitStore,
} from './token-limit.store.js';

interface Counter {
  value: number;
  expiresAt: number;
}

/** The in-process token store: the same arithmetic as the Redis script, for one instance. */
export class MemoryTokenLimitStore extends TokenLimitStore {
  private readonly counters = new Map<string, Counter>();
  private nextSweepAt = 0;

  async reserve(a: ReserveArgs): Promise<ReserveOutcome> {
    const now = Date.now();
    this.sweep(now);
    const spendKey = `spend:${a.keyId}:${a.day}`;
    const tpmKey = `tpm:${a.keyId}:${a.minute}`;
    let spent = 0;
    if (a.budgetMicros > 0) {
      const s = this.get(spendKey, now);
      if (!s) return { kind: 'needs-seed' };
      spent = s.value;
      if (spent + a.costMicros > a.budgetMicros) return { kind: 'budget-exceeded', spentMicros: spent };
    }
    let used = 0;
    if (a.tpm > 0) {
      used = this.get(tpmKey, now)?.value ?? 0;
      if (used + a.tokens > a.tpm) return { kind: 'tokens-exceeded', usedTokens: used };
      used = this.add(tpmKey, a.tokens, MINUTE_TTL_MS, now);
    }
    if (a.budgetMicros > 0) spent = this.add(spendKey, a.costMicros, DAY_TTL_MS, now);
    return { kind: 'reserved', usedTokens: used, spentMicros: spent };
  }

  async settle(a: SettleArgs): Promise<void> {
    const now = Date.now();
    this.adjust(`tpm:${a.keyId}:${a.minute}`, a.tokenDelta, now);
    this.adjust(`spend:${a.keyId}:${a.day}`, a.costDeltaMicros, now);
  }

  async seedSpend(keyId: string, day: string, spentMicros: number): Promise<void> {
    const key = `spend:${keyId}:${day}`;
    const now = Date.now();
    if (!this.get(key, now)) this.counters.set(key, { value: spentMicros, expiresAt: now + DAY_TTL_MS });
  }

  private get(key: string, now: number): Counter | undefined {
    const c = this.counters.get(key);
    return c && c.expiresAt > now ? c : undefined;
  }

  private add(key: string, n: number, ttlMs: number, now: number): number {
    const c = this.get(key, now);
    if (c) {
      c.value += n;
      return c.value;
    }
    this.counters.set(key, { value: n, expiresAt: now + ttlMs });
    return n;
  }

  /** Only counters that still exist are adjusted, and never below zero (as in Redis). */
  private adjust(key: string, delta: number, now: number): void {
    if (delta === 0) return;
    const c = this.get(key, now);
    if (c) c.value = Math.max(0, c.value + delta);
  }

  private sweep(now: number): void {
    if (now < this.nextSweepAt) return;
    this.nextSweepAt = now + 10_000;
    for (const [key, c] of this.counters) if (c.expiresAt <= now) this.counters.delete(key);
  }
}
