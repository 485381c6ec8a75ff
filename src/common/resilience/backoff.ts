export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** A `Retry-After` longer than this is not waited for. */
  retryAfterCapMs: number;
}

/**
 * How long to wait before retry number `attempt` (0-based): exponential backoff with full jitter
 * (a uniform draw in [0, min(max, base·2^attempt)]), or the upstream's `Retry-After` when it asked
 * for one. Undefined when it asked for longer than the cap: waiting that long is not worth it.
 */
export function retryDelayMs(
  attempt: number,
  policy: BackoffPolicy,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number | undefined {
  if (retryAfterMs !== undefined) return retryAfterMs > policy.retryAfterCapMs ? undefined : retryAfterMs;
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
