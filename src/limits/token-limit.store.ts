/** What one reservation asks of a key's token window and daily spend. */
export interface ReserveArgs {
  keyId: string;
  /** Prompt tokens + the completion tokens reserved. */
  tokens: number;
  /** 0 = no token limit. */
  tpm: number;
  /** The calendar minute (epoch ms / 60,000) the reservation counts against. */
  minute: number;
  /** Estimated cost in micro-USD. */
  costMicros: number;
  /** 0 = no budget. */
  budgetMicros: number;
  /** The UTC day (`YYYY-MM-DD`) the spend counts against. */
  day: string;
  /**
   * Request-limit counters this request was just counted on (shared store only): nothing is reserved
   * while any of them is over its limit, since the request may be one of those refused.
   */
  requestCounters?: { keys: string[]; limits: number[] };
}

export type ReserveOutcome =
  | { kind: 'reserved'; usedTokens: number; spentMicros: number }
  | { kind: 'tokens-exceeded'; usedTokens: number }
  | { kind: 'budget-exceeded'; spentMicros: number }
  /** The day's spend is not known to the store yet: seed it from the usage ledger, then retry. */
  | { kind: 'needs-seed' }
  /** A request counter is over its limit: reserve again once the request's own verdict admits it. */
  | { kind: 'requests-over' };

export interface SettleArgs {
  keyId: string;
  minute: number;
  day: string;
  /** actual − reserved; negative gives tokens back. */
  tokenDelta: number;
  costDeltaMicros: number;
}

/**
 * Token windows and daily spend, reserved atomically. The Redis store is shared by every instance;
 * the memory store is the embedded default and the fail-open fallback.
 */
export abstract class TokenLimitStore {
  abstract reserve(args: ReserveArgs): Promise<ReserveOutcome>;
  abstract settle(args: SettleArgs): Promise<void>;
  /** Sets the day's spend unless the store already has it. */
  abstract seedSpend(keyId: string, day: string, spentMicros: number): Promise<void>;
  /** Writes settlements the store holds back for batching (before the store's connection closes). */
  async flush(): Promise<void> {}
}

/** A minute window is kept a little past its end for late settlements; a day's spend for two days. */
export const MINUTE_TTL_MS = 120_000;
export const DAY_TTL_MS = 48 * 3600_000;
