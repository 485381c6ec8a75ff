/** A value read together with its remaining lifetime, so a faster tier can be filled without outliving it. */
export interface CachedValue {
  value: Buffer;
  /** Remaining lifetime; `Infinity` when the entry has no expiry. */
  ttlMs: number;
}

/**
 * `undefined` for a lifetime that is already over (≤ 0 or NaN): such a `set` stores nothing and drops the
 * old value. `Infinity` means no expiry.
 */
export function liveTtlMs(ttlMs: number): number | undefined {
  return ttlMs > 0 ? ttlMs : undefined;
}
