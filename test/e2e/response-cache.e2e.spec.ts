import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, RESP_TYPES } from '@redis/client';
import { OpenAiFake } from '../support/fakes/index.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { testConfig } from '../support/test-config.js';
import { createFreshDatabase, uniqueName } from '../support/test-database.js';

const ADMIN = `admin-${randomBytes(12).toString('hex')}`;
const MODEL = 'openai/gpt-4o-mini';
const CHAT = '/v1/chat/completions';
const ANSWER = 'The capital of France is Paris, a city on the Seine with a long history.';

interface Completion {
  choices: Array<{ message: { content: string | null }; finish_reason: string }>;
  usage: {
    prompt_tokens: number;
    completion_tokens: number;
    prompt_tokens_details?: { cached_tokens: number };
  };
}

interface Answer {
  status: number;
  cache: string | null;
  text: string;
}

describe('response cache (exact) through the chat API, on Redis', () => {
  const fake = new OpenAiFake();
  const prefix = `${uniqueName('rc')}:`;
  const redis = createClient({ url: TEST_REDIS_URL }).withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let gw: RunningApp;
  let keyA: { id: string; key: string };
  let keyB: { id: string; key: string };

  async function call(
    body: Record<string, unknown>,
    key = ADMIN,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const res = await fetch(`${gw.baseUrl}${CHAT}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, cache: res.headers.get('x-gateway-cache'), text: await res.text() };
  }

  function ask(question: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return { model: MODEL, messages: [{ role: 'user', content: question }], ...extra };
  }

  async function createKey(name: string): Promise<{ id: string; key: string }> {
    const res = await fetch(`${gw.baseUrl}/api/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name }),
    });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; key: string };
  }

  async function cacheKeys(): Promise<string[]> {
    return (await redis.keys(`${prefix}cache:*`)).map(String);
  }

  /** Cache writes happen after the response; give them a moment. */
  async function settle(): Promise<void> {
    await sleep(50);
  }

  beforeAll(async () => {
    await fake.start();
    await redis.connect();
    db = await createFreshDatabase();
    gw = await startApp(
      testConfig({
        ADMIN_API_KEY: ADMIN,
        DATABASE_URL: db.url,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
        OPENAI_API_KEY: 'sk-upstream',
        OPENAI_BASE_URL: `${fake.url}/v1`,
        CACHE_DEFAULT_MODE: 'exact',
        // Redis alone, so the tamper test reaches the stored bytes (the tiered store is tested in src/cache/stores).
        CACHE_MEMORY_MAX_ENTRIES: '0',
        CACHE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        USAGE_FLUSH_INTERVAL_MS: '100',
      }),
    );
    keyA = await createKey('tenant-a');
    keyB = await createKey('tenant-b');
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await fake.stop();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(keys.map(String));
    await redis.close();
    await db?.drop();
  });

  beforeEach(() => {
    fake.reset();
    fake.setReply({ text: ANSWER, usage: { promptTokens: 14, completionTokens: 16 } });
  });

  it('answers a repeated request from the cache, marking the prompt tokens cached', async () => {
    const first = await call(ask('What is the capital of France?'));
    expect(first).toMatchObject({ status: 200, cache: 'miss' });
    await settle();
    const second = await call(ask('What is the capital of France?'));
    expect(second).toMatchObject({ status: 200, cache: 'hit' });
    expect(fake.requestsTo('/v1/chat/completions')).toHaveLength(1);
    const body = JSON.parse(second.text) as Completion;
    expect(body.choices[0]?.message.content).toBe(ANSWER);
    expect(body.choices[0]?.finish_reason).toBe('stop');
    expect(body.usage).toMatchObject({
      prompt_tokens: 14,
      completion_tokens: 16,
      prompt_tokens_details: { cached_tokens: 14 },
    });
    expect((JSON.parse(first.text) as Completion).usage.prompt_tokens_details).toBeUndefined();
  });

  it('never serves one tenant the answer cached for another', async () => {
    const q = ask('Tenant isolation question?');
    expect((await call(q, keyA.key)).cache).toBe('miss');
    await settle();
    expect((await call(q, keyA.key)).cache).toBe('hit');
    expect((await call(q, keyB.key)).cache).toBe('miss');
    expect(fake.requestsTo('/v1/chat/completions')).toHaveLength(2);
  });

  it('misses when the system prompt, the history or a sampling setting differs', async () => {
    const base = { model: MODEL, messages: [{ role: 'user', content: 'Summarise the plan.' }] };
    await call(base);
    await settle();
    const variants = [
      { ...base, messages: [{ role: 'system', content: 'Be terse.' }, ...base.messages] },
      {
        ...base,
        messages: [
          { role: 'user', content: 'Earlier question' },
          { role: 'assistant', content: 'Earlier answer' },
          ...base.messages,
        ],
      },
      { ...base, temperature: 0.2 },
      { ...base, max_tokens: 64 },
      { ...base, tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }] },
    ];
    for (const v of variants) expect((await call(v)).cache).toBe('miss');
    expect((await call(base)).cache).toBe('hit');
  });

  it('honours cache.mode off, Cache-Control no-store and no-cache', async () => {
    const off = ask('Mode off question', { cache: { mode: 'off' } });
    expect((await call(off)).cache).toBe('bypass');
    await settle();
    expect((await call(ask('Mode off question'))).cache).toBe('miss');

    const q = ask('No-store question');
    expect((await call(q, ADMIN, { 'cache-control': 'no-store' })).cache).toBe('miss');
    await settle();
    expect((await call(q)).cache).toBe('miss');
    await settle();
    expect((await call(q, ADMIN, { 'cache-control': 'no-cache' })).cache).toBe('bypass');
    expect((await call(q)).cache).toBe('hit');

    const bad = await call(ask('x', { cache: { mode: 'fuzzy' } }));
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toMatchObject({ error: { param: 'cache.mode' } });
  });

  it('replays a hit on a streaming request as a real stream in several chunks, with usage', async () => {
    const q = ask('Stream me the cached answer');
    await call(q);
    await settle();
    const res = await call({ ...q, stream: true, stream_options: { include_usage: true } });
    expect(res.cache).toBe('hit');
    const events = res.text
      .split('\n\n')
      .filter((e) => e.startsWith('data: '))
      .map((e) => e.slice(6));
    expect(events[events.length - 1]).toBe('[DONE]');
    const chunks = events.slice(0, -1).map(
      (e) =>
        JSON.parse(e) as {
          choices: Array<{ delta: { content?: string }; finish_reason: string | null }>;
          usage?: Completion['usage'] | null;
        },
    );
    const deltas = chunks.map((c) => c.choices[0]?.delta.content ?? '').filter((t) => t.length > 0);
    expect(deltas.length).toBeGreaterThan(2);
    expect(deltas.join('')).toBe(ANSWER);
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks[chunks.length - 1]?.usage).toMatchObject({
      prompt_tokens: 14,
      prompt_tokens_details: { cached_tokens: 14 },
    });
    expect(fake.requestsTo('/v1/chat/completions')).toHaveLength(1);
  });

  it('caches a stream that finished cleanly, and never one that was cut or cancelled', async () => {
    const clean = ask('A clean stream', { stream: true });
    expect((await call(clean)).cache).toBe('miss');
    await settle();
    expect((await call(ask('A clean stream'))).cache).toBe('hit');

    fake.setDefaultBehaviour({ cutAfterChunks: 3, path: '/v1/chat/completions' });
    const cut = ask('A cut stream', { stream: true });
    expect((await call(cut)).text).toContain('"error"');
    fake.setDefaultBehaviour(undefined);
    await settle();
    expect((await call(ask('A cut stream'))).cache).toBe('miss');

    fake.setDefaultBehaviour({ chunkDelayMs: 200, path: '/v1/chat/completions' });
    const controller = new AbortController();
    const res = await fetch(`${gw.baseUrl}${CHAT}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify(ask('A cancelled stream', { stream: true })),
      signal: controller.signal,
    });
    const reader = res.body?.getReader();
    await reader?.read();
    controller.abort();
    await sleep(400);
    fake.setDefaultBehaviour(undefined);
    expect((await call(ask('A cancelled stream'))).cache).toBe('miss');
  });

  it('accounts a hit at zero cost with its prompt tokens as cached', async () => {
    const q = ask('Accounting question');
    await call(q, keyA.key);
    await settle();
    await call(q, keyA.key);
    await sleep(300);
    const res = await fetch(`${gw.baseUrl}/api/keys/${keyA.id}/usage`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const usage = (await res.json()) as {
      data: Array<{ requests: number; cached_tokens: number; cost_usd: number }>;
    };
    const totals = usage.data.reduce(
      (t, r) => ({
        requests: t.requests + r.requests,
        cached: t.cached + r.cached_tokens,
        cost: t.cost + r.cost_usd,
      }),
      { requests: 0, cached: 0, cost: 0 },
    );
    // Earlier tests' calls with key A: two in the isolation test (one miss, one hit), two here.
    expect(totals.requests).toBe(4);
    expect(totals.cached).toBe(14 * 2);
    expect(totals.cost).toBeCloseTo((2 * (14 * 0.15 + 16 * 0.6)) / 1e6, 10);
  });

  it('stores entries encrypted: the Redis value holds no plaintext', async () => {
    await call(ask('Encrypted at rest?'));
    await settle();
    const keys = await cacheKeys();
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) {
      const value = (await redis.get(k)) as unknown as Buffer;
      expect(value.includes(Buffer.from('Paris'))).toBe(false);
    }
  });

  it('treats a tampered entry as a miss, deletes and counts it, and never fails the request', async () => {
    const before = (await (
      await fetch(`${gw.baseUrl}/api/cache/stats`, { headers: { authorization: `Bearer ${ADMIN}` } })
    ).json()) as {
      corruptions: number;
    };
    const q = ask('Tamper with me');
    await call(q);
    await settle();
    const keys = new Set(await cacheKeys());
    await call(ask('Tamper with me, second entry'));
    await settle();
    // Flip one byte of every entry, as an attacker with Redis access might.
    for (const k of await cacheKeys()) {
      const value = (await redis.get(k)) as unknown as Buffer;
      value[value.length - 1] ^= 0x01;
      await redis.set(k, value, { expiration: { type: 'PX', value: 60_000 } });
    }
    fake.reset();
    fake.setReply({ text: ANSWER, usage: { promptTokens: 14, completionTokens: 16 } });
    const res = await call(q);
    expect(res).toMatchObject({ status: 200, cache: 'miss' });
    expect(fake.requestsTo('/v1/chat/completions')).toHaveLength(1);
    const after = (await (
      await fetch(`${gw.baseUrl}/api/cache/stats`, { headers: { authorization: `Bearer ${ADMIN}` } })
    ).json()) as {
      corruptions: number;
    };
    expect(after.corruptions).toBeGreaterThan(before.corruptions);
    expect(keys.size).toBeGreaterThan(0);
  });

  it('purges by tenant (a key its own only) and everything (admin)', async () => {
    const q = ask('Purge me');
    await call(q, keyA.key);
    await call(q, keyB.key);
    await settle();
    const foreign = await fetch(`${gw.baseUrl}/api/cache?tenant=${keyB.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${keyA.key}` },
    });
    expect(foreign.status).toBe(403);
    const own = await fetch(`${gw.baseUrl}/api/cache`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${keyA.key}` },
    });
    expect(own.status).toBe(200);
    expect(((await own.json()) as { deleted: number }).deleted).toBeGreaterThan(0);
    expect((await call(q, keyA.key)).cache).toBe('miss');
    expect((await call(q, keyB.key)).cache).toBe('hit');
    const all = await fetch(`${gw.baseUrl}/api/cache`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(((await all.json()) as { deleted: number }).deleted).toBeGreaterThan(0);
    expect(await cacheKeys()).toHaveLength(0);
    expect((await call(q, keyB.key)).cache).toBe('miss');
  });

  it('exports cache outcomes, corruptions, lookup latency and store state to Prometheus', async () => {
    const text = await (await fetch(`${gw.baseUrl}/metrics`)).text();
    expect(text).toMatch(/gateway_cache_results_total\{result="hit"\} [1-9]/);
    expect(text).toMatch(/gateway_cache_results_total\{result="miss"\} [1-9]/);
    expect(text).toMatch(/gateway_cache_corruptions_total [1-9]/);
    expect(text).toMatch(/gateway_cache_lookup_duration_seconds_count [1-9]/);
    expect(text).toMatch(/gateway_cache_store\{measure="evictions"\} \d/);
  });
});
