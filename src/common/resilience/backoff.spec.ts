import { retryDelayMs, sleep } from './backoff.js';

const POLICY = { baseMs: 100, maxMs: 1000, retryAfterCapMs: 5000 };

describe('retryDelayMs', () => {
  it('draws full jitter in [0, min(max, base·2^attempt))', () => {
    const ceilings = [100, 200, 400, 800, 1000, 1000];
    for (const [attempt, ceiling] of ceilings.entries()) {
      expect(retryDelayMs(attempt, POLICY, undefined, () => 0)).toBe(0);
      expect(retryDelayMs(attempt, POLICY, undefined, () => 0.5)).toBe(ceiling / 2);
      expect(retryDelayMs(attempt, POLICY, undefined, () => 0.999999)).toBe(ceiling - 1);
    }
  });

  it('stays within bounds with the real random source, and spreads', () => {
    const draws = Array.from({ length: 2000 }, () => retryDelayMs(2, POLICY, undefined) ?? -1);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(400);
    // Full jitter, not "equal jitter": the lower half is used as much as the upper.
    const low = draws.filter((d) => d < 200).length;
    expect(low).toBeGreaterThan(800);
    expect(low).toBeLessThan(1200);
  });

  it('does not overflow for a large attempt number', () => {
    expect(retryDelayMs(10_000, POLICY, undefined, () => 0.999999)).toBe(999);
  });

  it('waits exactly the Retry-After the upstream asked for, up to the cap', () => {
    expect(retryDelayMs(0, POLICY, 1200, () => 0)).toBe(1200);
    expect(retryDelayMs(3, POLICY, 0)).toBe(0);
    expect(retryDelayMs(0, POLICY, 5000)).toBe(5000);
  });

  it('gives up (undefined) when Retry-After is above the cap', () => {
    expect(retryDelayMs(0, POLICY, 5001)).toBeUndefined();
    expect(retryDelayMs(0, { ...POLICY, retryAfterCapMs: 0 }, 1)).toBeUndefined();
  });
});

describe('sleep', () => {
  it('resolves after the delay', async () => {
    const started = Date.now();
    await expect(sleep(30, new AbortController().signal)).resolves.toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('rejects with the reason as soon as the signal aborts', async () => {
    const c = new AbortController();
    const started = Date.now();
    const slept = sleep(10_000, c.signal);
    const reason = new Error('client gone');
    setTimeout(() => c.abort(reason), 10);
    await expect(slept).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const c = new AbortController();
    const reason = new Error('already gone');
    c.abort(reason);
    await expect(sleep(10_000, c.signal)).rejects.toBe(reason);
  });
});
