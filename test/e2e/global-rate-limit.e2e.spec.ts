import type { RedisClientType } from '@redis/client';
import { OpenAiFake } from '../support/fakes/index.js';
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

const ADMIN_KEY = 'admin-key-for-global-limit-tests';
const UPSTREAM_KEY = 'sk-upstream-global';
const MODEL = 'openai/gpt-4o-mini';

/**
 * `RATE_LIMIT_GLOBAL_RPM` over every caller, on Redis: it refuses chat completions (whose verdict the
 * handler awaits) and other routes alike, and a request it refuses is not counted against the key.
 */
describe('global request limit with per-key limits (real Redis)', () => {
  const prefix = uniqueKeyPrefix('global-limit');
  const fake = new OpenAiFake({ apiKey: UPSTREAM_KEY });
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let gw: RunningApp;
  let redis: RedisClientType;

  beforeAll(async () => {
    db = await createFreshDatabase();
    await fake.start();
    gw = await startApp(
      testConfig({
        DATABASE_URL: db.url,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
        ADMIN_API_KEY: ADMIN_KEY,
        OPENAI_API_KEY: UPSTREAM_KEY,
        OPENAI_BASE_URL: `${fake.url}/v1`,
        RATE_LIMIT_GLOBAL_RPM: '4',
      }),
    );
    redis = await connectTestRedis();
  }, 60_000);

  afterAll(async () => {
    await unlinkPrefix(redis, prefix);
    await closeTestRedis(redis);
    await gw?.close();
    await fake.stop();
    await db?.drop();
  });

  function post(path: string, key: string, body: unknown): Promise<Response> {
    return fetch(`${gw.baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  function chat(key: string): Promise<Response> {
    return post('/v1/chat/completions', key, { model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
  }

  it('refuses the fifth request of the minute for every caller, and does not count it against the key', async () => {
    fake.setReply({ text: 'ok', usage: { promptTokens: 5, completionTokens: 1 } });
    // Issuing keys is a request too: the admin's two count against the global limit.
    const a = (await (await post('/api/keys', ADMIN_KEY, { name: 'a', rpm: 10, tpm: 100_000 })).json()) as {
      id: string;
      key: string;
    };
    const b = (await (await post('/api/keys', ADMIN_KEY, { name: 'b' })).json()) as { key: string };

    const first = await chat(a.key);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit-requests')).toBe('10');
    expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('9');
    expect((await chat(b.key)).status).toBe(200);

    const refused = await chat(a.key);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('rate_limit_exceeded');
    expect(body.error.message).toMatch(/per minute for this gateway/);
    // Other routes share the same global count.
    expect((await post('/v1/embeddings', b.key, { model: 'local/hash-64', input: 'x' })).status).toBe(429);

    expect(Number(await redis.get(`${prefix}rl:key:${a.id}`))).toBe(1);
    expect(Number(await redis.get(`${prefix}rl:global:all`))).toBe(6);
    expect(fake.requestsTo('/v1/chat/completions')).toHaveLength(2);
  });
});
