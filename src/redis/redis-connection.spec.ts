import { reconnectDelayMs } from './redis-connection.js';

describe('redis reconnect backoff', () => {
  it('grows exponentially with jitter and stays capped', () => {
    for (let i = 0; i < 50; i++) {
      const first = reconnectDelayMs(0);
      expect(first).toBeGreaterThanOrEqual(50);
      expect(first).toBeLessThanOrEqual(100);
      const later = reconnectDelayMs(30);
      expect(later).toBeGreaterThanOrEqual(2500);
      expect(later).toBeLessThanOrEqual(5000);
    }
    expect(reconnectDelayMs(3)).toBeGreaterThanOrEqual(400);
  });
});
