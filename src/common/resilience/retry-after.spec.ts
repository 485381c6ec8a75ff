import { parseGoDurationMs, retryAfterMs } from './retry-after.js';

describe('retryAfterMs', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');

  it('prefers retry-after-ms, then retry-after seconds or date', () => {
    expect(retryAfterMs({ 'retry-after-ms': '1500.5', 'retry-after': '9' }, now)).toBe(1501);
    expect(retryAfterMs({ 'retry-after': '2' }, now)).toBe(2000);
    expect(retryAfterMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }, now)).toBe(5000);
  });

  it('falls back to rate-limit reset headers', () => {
    expect(
      retryAfterMs({ 'x-ratelimit-reset-requests': '12ms', 'x-ratelimit-reset-tokens': '6m0s' }, now),
    ).toBe(360_000);
    expect(retryAfterMs({ 'anthropic-ratelimit-requests-reset': '2026-01-01T00:00:03Z' }, now)).toBe(3000);
    expect(retryAfterMs(new Headers({ 'retry-after': '1' }), now)).toBe(1000);
    expect(retryAfterMs({}, now)).toBeUndefined();
  });

  it('parses Go durations strictly', () => {
    expect(parseGoDurationMs('1h2m3.5s')).toBe(3_723_500);
    expect(parseGoDurationMs('20ms')).toBe(20);
    expect(parseGoDurationMs('soon')).toBeUndefined();
  });
});
