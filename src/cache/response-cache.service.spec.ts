import { createRootLogger } from '../common/logging/logger.js';
import { parseAppConfig } from '../config/load-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { RedisConnection } from '../redis/redis-connection.js';
import { ResponseCacheService } from './response-cache.service.js';

/** Runs `p` to the end, noting whether a setImmediate callback queued just before it ran first. */
async function settlesAfterQueuedImmediate(p: () => Promise<unknown>): Promise<boolean> {
  let immediateRan = false;
  setImmediate(() => {
    immediateRan = true;
  });
  await p();
  return immediateRan;
}

describe('ResponseCacheService reads from the in-process store', () => {
  const service = new ResponseCacheService(
    parseAppConfig({ LOG_LEVEL: 'silent' }),
    { client: undefined } as RedisConnection,
    new MetricsService(),
    createRootLogger('silent'),
  );

  it('answers a hit only after the callbacks already queued for the check phase, and a miss at once', async () => {
    await service.set('llm:v1:exact:t:m:k', Buffer.from('the answer'));

    let value: Buffer | undefined;
    const hitWaited = await settlesAfterQueuedImmediate(async () => {
      value = await service.get('llm:v1:exact:t:m:k');
    });
    expect(value?.toString()).toBe('the answer');
    expect(hitWaited).toBe(true);

    const missWaited = await settlesAfterQueuedImmediate(() => service.get('llm:v1:exact:t:m:absent'));
    expect(missWaited).toBe(false);
    expect(service.stats().store).toBe('memory');
  });
});
