import { CACHE_MANAGER } from '@nestjs/cache-manager';
import type { Cache } from 'cache-manager';
import { createClient } from '@redis/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { DisposableRedis } from '../support/redis-server.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { testConfig } from '../support/test-config.js';
import { createFreshDatabase } from '../support/test-database.js';
import { TEST_REDIS_URL } from '../support/env.js';

interface Ready {
  status: string;
  details: Record<string, { status: string; message?: string }>;
}

async function readiness(gw: RunningApp): Promise<{ status: number; body: Ready }> {
  const res = await fetch(`${gw.baseUrl}/health/ready`);
  return { status: res.status, body: (await res.json()) as Ready };
}

async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last = await fn();
  while (!ok(last) && Date.now() < until) {
    await sleep(100);
    last = await fn();
  }
  return last;
}

describe('Redis (optional dependency)', () => {
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;

  beforeAll(async () => {
    db = await createFreshDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('stores cache-manager entries in the shared Redis under the configured prefix', async () => {
    const prefix = `t${Date.now()}:`;
    const gw = await startApp(
      testConfig({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix }),
    );
    const probe = createClient({ url: TEST_REDIS_URL });
    await probe.connect();
    try {
      await waitFor(
        () => readiness(gw),
        (r) => r.status === 200,
      );
      const cache = gw.app.get<Cache>(CACHE_MANAGER);
      await cache.set('greeting', { hello: 'world' }, 60_000);
      expect(await cache.get('greeting')).toEqual({ hello: 'world' });
      const keys = await probe.keys(`${prefix}*`);
      expect(keys).toEqual([`${prefix}cache::greeting`]);
      expect(await probe.pTTL(keys[0])).toBeGreaterThan(50_000);
      await probe.del(keys);
    } finally {
      await probe.close();
      await gw.close();
    }
  });

  it('stays up while Redis is down, reports which dependency is down, and recovers', async () => {
    const redis = await DisposableRedis.start();
    const gw = await startApp(testConfig({ DATABASE_URL: db.url, REDIS_URL: redis.url }));
    try {
      const up = await waitFor(
        () => readiness(gw),
        (r) => r.status === 200,
      );
      expect(up.body.details.redis.status).toBe('up');

      await redis.stop();
      const down = await waitFor(
        () => readiness(gw),
        (r) => r.status === 503,
      );
      expect(down.status).toBe(503);
      expect(down.body.details.redis.status).toBe('down');
      expect(down.body.details.database.status).toBe('up');

      // The rest of the service keeps answering.
      expect((await fetch(`${gw.baseUrl}/health/live`)).status).toBe(200);
      const cache = gw.app.get<Cache>(CACHE_MANAGER);
      await expect(cache.get('anything')).resolves.toBeUndefined();
      const emb = await fetch(`${gw.baseUrl}/v1/embeddings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'local/hash-8', input: 'still serving' }),
      });
      expect(emb.status).toBe(200);

      await redis.startProcess();
      const back = await waitFor(
        () => readiness(gw),
        (r) => r.status === 200,
      );
      expect(back.body.details.redis.status).toBe('up');
    } finally {
      await gw.close();
      await redis.stop();
    }
  });

  it('boots while Redis is unreachable and reports it down', async () => {
    const redis = await DisposableRedis.start();
    await redis.stop();
    const gw = await startApp(testConfig({ DATABASE_URL: db.url, REDIS_URL: redis.url }));
    try {
      const r = await readiness(gw);
      expect(r.status).toBe(503);
      expect(r.body.details.redis.status).toBe('down');
    } finally {
      await gw.close();
    }
  });
});
