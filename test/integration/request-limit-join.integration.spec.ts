import type { RedisClientType } from '@redis/client';
import type { Principal } from '../../src/auth/principal.js';
import type { GatewayError } from '../../src/common/errors/gateway-error.js';
import { PendingRequestLimits } from '../../src/limits/pending-request-limits.js';
import { requestLimitExceeded } from '../../src/limits/request-limit.guard.js';
import { RequestRateStorage } from '../../src/limits/request-rate.storage.js';
import { RedisTokenLimitStore } from '../../src/limits/redis.token-limit.store.js';
import { NO_RESERVATION, TokenLimiter } from '../../src/limits/token-limiter.js';
import { TEST_REDIS_URL } from '../support/env.js';
import {
  closeTestRedis,
  connectTestRedis,
  uniqueKeyPrefix,
  unlinkPrefix,
} from '../support/redis-test-client.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { testConfig } from '../support/test-config.js';
import { createFreshDatabase } from '../support/test-database.js';

/**
 * The request-limit verdict joined with the token reservation (one round trip): the reservation script
 * reserves nothing while a request counter is over its limit, a refused verdict gives reserved tokens
 * back, and an admitted request whose counter looked over is reserved after all.
 */
describe('token reservation joined with the request-limit verdict (real Redis)', () => {
  const prefix = uniqueKeyPrefix('limit-join');
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let gw: RunningApp;
  let redis: RedisClientType;
  let limiter: TokenLimiter;
  let rates: RequestRateStorage;
  let n = 0;

  beforeAll(async () => {
    db = await createFreshDatabase();
    gw = await startApp(
      testConfig({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: prefix }),
    );
    limiter = gw.app.get(TokenLimiter);
    rates = gw.app.get(RequestRateStorage);
    redis = await connectTestRedis();
  }, 60_000);

  afterAll(async () => {
    await unlinkPrefix(redis, prefix);
    await closeTestRedis(redis);
    await gw?.close();
    await db?.drop();
  });

  /** A fresh key with a token limit, its rpm counter set to `hits` (limit 3), and its token window's key. */
  async function setup(hits: number): Promise<{ principal: Principal; counterKey: string; window: string }> {
    const keyId = `k${++n}-${Date.now()}`;
    const counterKey = `key:${keyId}`;
    await redis.set(`${prefix}rl:${counterKey}`, String(hits), { expiration: { type: 'PX', value: 60_000 } });
    const principal: Principal = {
      keyId,
      name: keyId,
      scopes: new Set(['chat']),
      limits: { rpm: 3, tpm: 10_000 },
    };
    return { principal, counterKey, window: `${prefix}tl:tpm:${keyId}:${Math.floor(Date.now() / 60_000)}` };
  }

  function pending(counterKey: string, verdict: Promise<void>): PendingRequestLimits {
    const p = new PendingRequestLimits();
    p.add({ key: counterKey, limit: 3 }, verdict);
    return p;
  }

  async function held(window: string): Promise<number | null> {
    const v = await redis.get(window);
    return v === null ? null : Number(v);
  }

  it('names the shared counter key the guard counts on', () => {
    expect(rates.sharedKey('key:abc')).toBe(`${prefix}rl:key:abc`);
  });

  it('reserves in one go when the counters are within their limits and the verdict admits', async () => {
    const { principal, counterKey, window } = await setup(2);
    const r = await limiter.reserve(principal, 700, 0, pending(counterKey, Promise.resolve()));
    expect(r.limitTokens).toBe(10_000);
    expect(r.remainingTokens).toBe(9_300);
    expect(await held(window)).toBe(700);
  });

  it('reserves nothing for a request the verdict refuses while its counter is over', async () => {
    const { principal, counterKey, window } = await setup(4);
    const refusal = requestLimitExceeded('key', 3, 40);
    await expect(
      limiter.reserve(principal, 700, 0, pending(counterKey, Promise.reject(refusal))),
    ).rejects.toBe(refusal);
    expect(await held(window)).toBeNull();
  });

  it('gives the tokens back when the verdict refuses a request whose reservation went through', async () => {
    const { principal, counterKey, window } = await setup(3);
    const refusal = requestLimitExceeded('key', 3, 40);
    let refuse!: (e: GatewayError) => void;
    const verdict = new Promise<void>((_, reject) => (refuse = reject));
    const reserving = limiter.reserve(principal, 700, 0, pending(counterKey, verdict));
    // The reservation lands first (the counter reads 3 of 3), then the verdict says no.
    for (let i = 0; i < 50 && (await held(window)) !== 700; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await held(window)).toBe(700);
    refuse(refusal);
    await expect(reserving).rejects.toBe(refusal);
    for (let i = 0; i < 50 && (await held(window)) !== 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await held(window)).toBe(0);
  });

  it('reserves after all when the counter looked over but this request was counted within the limit', async () => {
    const { principal, counterKey, window } = await setup(9);
    const r = await limiter.reserve(principal, 700, 0, pending(counterKey, Promise.resolve()));
    expect(r.remainingTokens).toBe(9_300);
    expect(await held(window)).toBe(700);
  });

  it('still refuses on tokens when the verdict admits', async () => {
    const { principal, counterKey, window } = await setup(1);
    await expect(
      limiter.reserve(principal, 20_000, 0, pending(counterKey, Promise.resolve())),
    ).rejects.toThrow(/Request too large/);
    expect(await held(window)).toBeNull();
  });

  it('awaits the verdict for keys without token limits, reserving nothing', async () => {
    const { principal, counterKey } = await setup(4);
    const plain: Principal = { ...principal, limits: { rpm: 3 } };
    const refusal = requestLimitExceeded('key', 3, 40);
    await expect(limiter.reserve(plain, 700, 0, pending(counterKey, Promise.reject(refusal)))).rejects.toBe(
      refusal,
    );
    await expect(limiter.reserve(plain, 700, 0, pending(counterKey, Promise.resolve()))).resolves.toBe(
      NO_RESERVATION,
    );
  });

  it('sends the settlements of one event-loop turn in one script call, applied in order', async () => {
    const client = await connectTestRedis();
    const sent: number[] = [];
    // The store's client, with every script call's key count noted on the way through.
    const counted = new Proxy(client, {
      get(target, prop, receiver) {
        if (prop !== 'evalSha') return Reflect.get(target, prop, receiver) as unknown;
        return (sha: string, options: { keys: string[]; arguments: string[] }) => {
          sent.push(options.keys.length);
          return target.evalSha(sha, options);
        };
      },
    });
    try {
      const store = new RedisTokenLimitStore(counted, `${prefix}batch:`);
      const minute = Math.floor(Date.now() / 60_000);
      const args = {
        keyId: 'b1',
        tokens: 100,
        tpm: 10_000,
        minute,
        costMicros: 0,
        budgetMicros: 0,
        day: '2026-01-01',
      };
      for (let i = 0; i < 3; i++) await store.reserve(args);
      sent.length = 0;
      const window = `${prefix}batch:tpm:b1:${minute}`;
      expect(await held(window)).toBe(300);
      // One by one, in order: 300 -> 200 -> 0 (never below zero) -> 40. Summed first they would give 0.
      const deltas = [-100, -250, 40];
      await Promise.all(
        deltas.map((tokenDelta) =>
          store.settle({ keyId: 'b1', minute, day: args.day, tokenDelta, costDeltaMicros: 0 }),
        ),
      );
      expect(sent).toEqual([6]);
      expect(await held(window)).toBe(40);
      await store.flush();
    } finally {
      await closeTestRedis(client);
    }
  });
});
