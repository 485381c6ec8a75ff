import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { OpenAiFake } from '../support/fakes/index.js';
import { LogSink } from '../support/log-sink.js';
import { DisposableRedis } from '../support/redis-server.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { testConfig } from '../support/test-config.js';
import { createFreshDatabase, queryOnce } from '../support/test-database.js';

type MetricFamily = parsePrometheusTextFormat.PrometheusMetricFamily;

const UPSTREAM_KEY = 'sk-upstream-keys-and-usage';
const ADMIN_KEY = `admin-${randomBytes(16).toString('hex')}`;
const MODEL = 'openai/gpt-4o-mini';
/** Registry prices of openai/gpt-4o-mini, USD per million tokens. */
const PRICE = { input: 0.15, output: 0.6 };
const DEFAULT_USAGE = { promptTokens: 10, completionTokens: 5 };
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

interface ErrorBody {
  error: { message: string; type: string; code: string; param: string | null };
}

interface KeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  models: string[] | null;
  rpm: number | null;
  tpm: number | null;
  daily_budget_usd: number | null;
  created_at: string;
  revoked_at: string | null;
}

interface CreatedKey extends KeyView {
  key: string;
}

interface UsageTotals {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  cost_usd: number;
  errors: number;
}

interface UsageView {
  key_id: string;
  from: string;
  to: string;
  data: Array<UsageTotals & { day: string; model: string }>;
  totals: UsageTotals;
}

interface NewKeyBody {
  name: string;
  scopes?: string[];
  models?: string[];
  rpm?: number;
  tpm?: number;
  daily_budget_usd?: number;
}

/** Runs `fn(0..n-1)` with at most `concurrency` calls in flight. */
async function inPool<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        results[i] = await fn(i);
      }
    }),
  );
  return results;
}

/** Token windows are calendar minutes: start a sequence that must stay in one window with time to spare. */
async function awayFromMinuteEnd(marginMs = 8_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < marginMs) await sleep(left + 50);
}

function cost(promptTokens: number, completionTokens: number): number {
  return (promptTokens * PRICE.input + completionTokens * PRICE.output) / 1_000_000;
}

function sampleValue(families: MetricFamily[], name: string, labels: Record<string, string>): number {
  const family = families.find((f) => f.name === name);
  const sample = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return sample?.value === undefined ? 0 : Number(sample.value);
}

describe('API keys, limits and usage (real Postgres + disposable Redis)', () => {
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let redis: DisposableRedis;
  let fake: OpenAiFake;
  let gw: RunningApp;
  const logs = new LogSink();
  /** Every key the gateway issued during the run (and a bogus one presented), none of which may be logged. */
  const secrets: string[] = [ADMIN_KEY];
  let redisKilled = false;

  beforeAll(async () => {
    [db, redis] = await Promise.all([createFreshDatabase(), DisposableRedis.start()]);
    fake = new OpenAiFake({ apiKey: UPSTREAM_KEY });
    await fake.start();
    gw = await startApp(
      testConfig({
        DATABASE_URL: db.url,
        REDIS_URL: redis.url,
        ADMIN_API_KEY: ADMIN_KEY,
        OPENAI_API_KEY: UPSTREAM_KEY,
        OPENAI_BASE_URL: `${fake.url}/v1`,
        USAGE_FLUSH_INTERVAL_MS: '100',
        LOG_LEVEL: 'debug',
      }),
      { logDestination: logs },
    );
  });

  afterAll(async () => {
    // The app shuts down with Redis still dead when the last test killed it.
    await gw?.close();
    // DisposableRedis.stop() never returns for a process it already killed (a signalled process
    // keeps exitCode null), so it is called at most once.
    if (!redisKilled) await redis?.stop();
    await fake?.stop();
    await db?.drop();
  });

  beforeEach(() => fake.setReply({ text: 'ok', usage: DEFAULT_USAGE }));

  function call(
    path: string,
    options: { method?: string; key?: string | null; body?: unknown } = {},
  ): Promise<Response> {
    const key = options.key === undefined ? ADMIN_KEY : options.key;
    return fetch(`${gw.baseUrl}${path}`, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers: {
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  }

  function chat(key: string | null, extra: Record<string, unknown> = {}): Promise<Response> {
    return call('/v1/chat/completions', {
      key,
      body: { model: MODEL, messages: [{ role: 'user', content: 'hi' }], ...extra },
    });
  }

  async function createKey(body: NewKeyBody): Promise<CreatedKey> {
    const res = await call('/api/keys', { body });
    expect(res.status).toBe(201);
    const created = (await res.json()) as CreatedKey;
    secrets.push(created.key);
    return created;
  }

  async function expectError(res: Response, status: number, code: string): Promise<ErrorBody['error']> {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await res.json()) as ErrorBody;
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error).toEqual({
      message: expect.any(String),
      type: expect.any(String),
      code,
      param: body.error.param,
    });
    return body.error;
  }

  async function usageOf(id: string, key: string = ADMIN_KEY): Promise<UsageView> {
    const res = await call(`/api/keys/${id}/usage`, { key });
    expect(res.status).toBe(200);
    return (await res.json()) as UsageView;
  }

  async function scrapeText(): Promise<string> {
    const res = await fetch(`${gw.baseUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    return res.text();
  }

  async function scrape(): Promise<MetricFamily[]> {
    return parsePrometheusTextFormat(await scrapeText());
  }

  describe('with Redis up', () => {
    it('issues a key once, lists it without the secret, stores only its hash, and validates input', async () => {
      const res = await call('/api/keys', { body: { name: 'first' } });
      expect(res.status).toBe(201);
      const created = (await res.json()) as CreatedKey;
      secrets.push(created.key);
      expect(created.key).toMatch(/^sk-slrg-/);
      expect(created.prefix).toMatch(/^sk-slrg-/);
      expect(created.key.startsWith(created.prefix)).toBe(true);
      expect(created.key.length).toBeGreaterThan(created.prefix.length + 20);
      expect(created).toMatchObject({ name: 'first', revoked_at: null });
      expect(created.id).toMatch(UUID);
      expect([...created.scopes].sort()).toEqual(['chat', 'documents', 'embeddings', 'templates']);

      const list = await call('/api/keys');
      expect(list.status).toBe(200);
      const listText = await list.text();
      expect(listText).not.toContain(created.key);
      const { data } = JSON.parse(listText) as { data: KeyView[] };
      const listed = data.find((k) => k.id === created.id);
      expect(listed).toBeDefined();
      expect(listed).toMatchObject({ name: 'first', prefix: created.prefix });
      for (const k of data) expect(k).not.toHaveProperty('key');

      const rows = await queryOnce<Record<string, unknown>>(db.url, 'SELECT * FROM api_keys WHERE id = $1', [
        created.id,
      ]);
      expect(rows).toHaveLength(1);
      expect(String(rows[0].key_hash)).toMatch(/^[0-9a-f]{64}$/);
      const secretPart = created.key.slice(created.prefix.length);
      const stored = JSON.stringify(rows);
      expect(stored).not.toContain(created.key);
      expect(stored).not.toContain(secretPart);

      const invalid: Array<[unknown, string]> = [
        [{ name: '' }, 'name'],
        [{}, 'name'],
        [{ name: 'x', scopes: ['root'] }, 'scopes'],
        [{ name: 'x', rpm: 0 }, 'rpm'],
        [{ name: 'x', tpm: 1.5 }, 'tpm'],
        [{ name: 'x', daily_budget_usd: -1 }, 'daily_budget_usd'],
        [{ name: 'x', models: ['not a model!'] }, 'models'],
      ];
      for (const [body, param] of invalid) {
        const err = await expectError(await call('/api/keys', { body }), 400, 'invalid_request_error');
        expect(err.type).toBe('invalid_request_error');
        expect(err.param).toBe(param);
      }
    });

    it('authenticates and authorises: 401 without, with a bogus or revoked key; 403 without the scope', async () => {
      expect((await expectError(await chat(null), 401, 'authentication_error')).type).toBe(
        'authentication_error',
      );
      await expectError(await call('/api/keys', { key: null }), 401, 'authentication_error');
      await expectError(await chat('garbage'), 401, 'authentication_error');
      // Shaped exactly like an issued key, but never issued.
      const bogus = `sk-slrg-${randomBytes(6).toString('base64url')}${randomBytes(32).toString('base64url')}`;
      secrets.push(bogus);
      await expectError(await chat(bogus), 401, 'authentication_error');

      const revoked = await createKey({ name: 'to-revoke' });
      expect((await chat(revoked.key)).status).toBe(200);
      const del = await call(`/api/keys/${revoked.id}`, { method: 'DELETE' });
      expect(del.status).toBe(200);
      expect(((await del.json()) as KeyView).revoked_at).toEqual(expect.any(String));
      await expectError(await chat(revoked.key), 401, 'authentication_error');
      await expectError(await call('/v1/models', { key: revoked.key }), 401, 'authentication_error');

      const embeddingsOnly = await createKey({ name: 'no-chat', scopes: ['embeddings'] });
      const before = fake.requestsTo('/v1/chat/completions').length;
      const denied = await expectError(await chat(embeddingsOnly.key), 403, 'permission_error');
      expect(denied.type).toBe('permission_error');
      expect(fake.requestsTo('/v1/chat/completions')).toHaveLength(before);

      const tenant = await createKey({ name: 'tenant' });
      await expectError(await call('/api/keys', { key: tenant.key }), 403, 'permission_error');
      await expectError(
        await call('/api/keys', { key: tenant.key, body: { name: 'sneaky' } }),
        403,
        'permission_error',
      );
      await expectError(
        await call(`/api/keys/${tenant.id}`, { key: tenant.key, method: 'DELETE' }),
        403,
        'permission_error',
      );

      const admin = await createKey({ name: 'ops', scopes: ['admin'] });
      expect((await call('/api/keys', { key: admin.key })).status).toBe(200);
      const byAdminKey = await call('/api/keys', { key: admin.key, body: { name: 'made-by-admin-key' } });
      expect(byAdminKey.status).toBe(201);
      secrets.push(((await byAdminKey.json()) as CreatedKey).key);
      // `admin` implies every other scope.
      expect((await chat(admin.key)).status).toBe(200);
    });

    it('holds a key to its model allowlist, before any upstream call and in /v1/models', async () => {
      const key = await createKey({ name: 'mini-only', models: [MODEL] });
      const before = fake.requestsTo('/v1/chat/completions').length;
      const err = await expectError(
        await chat(key.key, { model: 'openai/gpt-4.1-nano' }),
        403,
        'permission_error',
      );
      expect(err.param).toBe('model');
      expect(fake.requestsTo('/v1/chat/completions')).toHaveLength(before);

      expect((await chat(key.key)).status).toBe(200);
      expect(fake.requestsTo('/v1/chat/completions')).toHaveLength(before + 1);

      const mine = await call('/v1/models', { key: key.key });
      expect(mine.status).toBe(200);
      const ids = ((await mine.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id);
      expect(ids).toEqual([MODEL]);
      const all = (await (await call('/v1/models')).json()) as { data: Array<{ id: string }> };
      expect(all.data.length).toBeGreaterThan(1);
    });

    it("keeps a key's usage to itself: another key's usage is 404", async () => {
      const a = await createKey({ name: 'tenant-a' });
      const b = await createKey({ name: 'tenant-b' });
      expect((await chat(b.key)).status).toBe(200);

      const err = await expectError(await call(`/api/keys/${b.id}/usage`, { key: a.key }), 404, 'not_found');
      expect(err.message).not.toContain('tenant-b');
      // Indistinguishable from a key that does not exist.
      await expectError(
        await call('/api/keys/00000000-0000-4000-8000-000000000000/usage', { key: a.key }),
        404,
        'not_found',
      );
      const own = await usageOf(a.id, a.key);
      expect(own.key_id).toBe(a.id);
      expect(own.totals.requests).toBe(0);
      expect((await usageOf(b.id)).key_id).toBe(b.id);
    });

    it('limits requests per minute per key with x-ratelimit headers, Retry-After and SDK RateLimitError', async () => {
      const key = await createKey({ name: 'rpm-5', rpm: 5 });
      for (let i = 1; i <= 5; i++) {
        // The first answer is cached, so the one asked again below over the limit is a cache hit.
        const res = await chat(key.key, i === 1 ? { cache: { mode: 'exact' } } : {});
        expect(res.status).toBe(200);
        expect(res.headers.get('x-ratelimit-limit-requests')).toBe('5');
        expect(res.headers.get('x-ratelimit-remaining-requests')).toBe(String(5 - i));
        await res.arrayBuffer();
      }
      const before = fake.requestsTo('/v1/chat/completions').length;
      const sixth = await chat(key.key);
      expect(sixth.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(sixth.headers.get('retry-after'))).toBeLessThanOrEqual(60);
      expect(sixth.headers.get('x-ratelimit-limit-requests')).toBe('5');
      expect(sixth.headers.get('x-ratelimit-remaining-requests')).toBe('0');
      const err = await expectError(sixth, 429, 'rate_limit_exceeded');
      expect(err.type).toBe('rate_limit_error');
      expect(fake.requestsTo('/v1/chat/completions')).toHaveLength(before);

      const sdk = new OpenAI({ apiKey: key.key, baseURL: `${gw.baseUrl}/v1`, maxRetries: 0 });
      const thrown = await sdk.chat.completions
        .create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] })
        .catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(OpenAI.RateLimitError);
      expect(thrown).toMatchObject({ status: 429, code: 'rate_limit_exceeded' });

      // Over the limit nothing is served or read: the verdict comes before loading a conversation (an
      // unknown one would be a 404) and before a cached answer is served.
      const stored = await chat(key.key, { conversation_id: '00000000-0000-4000-8000-000000000000' });
      await expectError(stored, 429, 'rate_limit_exceeded');
      const cached = await chat(key.key, { cache: { mode: 'exact' } });
      await expectError(cached, 429, 'rate_limit_exceeded');
      expect(fake.requestsTo('/v1/chat/completions')).toHaveLength(before);

      // Another key is not affected.
      const other = await createKey({ name: 'rpm-other', rpm: 5 });
      expect((await chat(other.key)).status).toBe(200);
    });

    it('reserves prompt + max_tokens against tpm, settles to the real usage, then refuses with 429', async () => {
      const tpm = 300;
      const key = await createKey({ name: 'tpm-300', tpm });
      await awayFromMinuteEnd();

      const first = await chat(key.key, { max_tokens: 200 });
      expect(first.status).toBe(200);
      expect(first.headers.get('x-ratelimit-limit-tokens')).toBe(String(tpm));
      const remaining1 = Number(first.headers.get('x-ratelimit-remaining-tokens'));
      // prompt + 200 reserved: what is left is below 100 by the prompt's own tokens.
      const promptTokens = tpm - 200 - remaining1;
      expect(promptTokens).toBeGreaterThan(0);
      expect(promptTokens).toBeLessThan(50);
      const body1 = (await first.json()) as { usage: { prompt_tokens: number; completion_tokens: number } };
      expect(body1.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 5 });
      await sleep(50); // settlement runs right after the call, off the response path

      // Had the first reservation been kept (2 × (prompt + 200) > 300), this would not fit.
      const second = await chat(key.key, { max_tokens: 200 });
      expect(second.status).toBe(200);
      expect(Number(second.headers.get('x-ratelimit-remaining-tokens'))).toBe(
        tpm - 15 - (promptTokens + 200),
      );
      await second.arrayBuffer();
      await sleep(50);

      const before = fake.requestsTo('/v1/chat/completions').length;
      const third = await chat(key.key, { max_tokens: 280 });
      expect(third.headers.get('x-ratelimit-limit-tokens')).toBe(String(tpm));
      expect(third.headers.get('x-ratelimit-remaining-tokens')).toBe(String(tpm - 30));
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
      const err = await expectError(third, 429, 'rate_limit_exceeded');
      expect(err.message).toMatch(/tokens/i);

      const tooLarge = await chat(key.key, { max_tokens: 500 });
      expect(tooLarge.headers.get('x-ratelimit-limit-tokens')).toBe(String(tpm));
      const tooLargeErr = await expectError(tooLarge, 429, 'rate_limit_exceeded');
      expect(tooLargeErr.message).toMatch(/too large/i);
      expect(fake.requestsTo('/v1/chat/completions')).toHaveLength(before);
    });

    it('refuses with 429 once the daily budget is spent at registry prices', async () => {
      const big = { promptTokens: 100_000, completionTokens: 100_000 };
      fake.setReply({ text: 'expensive', usage: big });
      const perCall = cost(big.promptTokens, big.completionTokens); // 0.075 USD
      const key = await createKey({ name: 'budget', daily_budget_usd: 0.1 });

      const statuses: number[] = [];
      let refusal: Response | undefined;
      for (let i = 0; i < 5 && !refusal; i++) {
        const res = await chat(key.key);
        statuses.push(res.status);
        if (res.status === 200) await res.arrayBuffer();
        else refusal = res;
        await sleep(50); // settlement of the real cost follows the response
      }
      // 0 + estimate fits, 0.075 + estimate fits, 0.15 is over 0.1.
      expect(statuses).toEqual([200, 200, 429]);
      expect(refusal).toBeDefined();
      const res = refusal as Response;
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      const err = await expectError(res, 429, 'rate_limit_exceeded');
      expect(err.message).toMatch(/budget/i);
      expect(err.type).toBe('rate_limit_error');

      await sleep(300); // the ledger flushes every 100 ms
      const usage = await usageOf(key.id);
      expect(usage.totals.requests).toBe(2);
      expect(usage.totals.cost_usd).toBeCloseTo(2 * perCall, 6);
    });

    it('accounts 1,000 requests (some streamed) exactly: requests, tokens and cost', async () => {
      const usage = { promptTokens: 120, completionTokens: 30 };
      fake.setReply({ text: 'accounted', chunks: ['acc', 'ount', 'ed'], usage });
      const key = await createKey({ name: 'accounting' });
      const total = 1000;
      const streamed = (i: number) => i % 10 === 0;

      const results = await inPool(total, 50, async (i) => {
        if (!streamed(i)) {
          const res = await chat(key.key);
          const body = (await res.json()) as { usage?: { prompt_tokens: number } };
          return { status: res.status, usage: body.usage?.prompt_tokens };
        }
        const res = await chat(key.key, { stream: true, stream_options: { include_usage: true } });
        const text = await res.text();
        const frames = text
          .split('\n')
          .filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]')
          .map((l) => JSON.parse(l.slice(6)) as { usage?: { prompt_tokens: number } | null });
        const usageFrame = frames.find((f) => f.usage);
        return {
          status: res.status,
          usage: usageFrame?.usage?.prompt_tokens,
          done: text.trimEnd().endsWith('data: [DONE]'),
        };
      });
      expect(results.filter((r) => r.status !== 200)).toEqual([]);
      expect(results.filter((r) => r.usage !== usage.promptTokens)).toEqual([]);
      expect(results.filter((r, i) => streamed(i) && !('done' in r && r.done))).toEqual([]);

      let view = await usageOf(key.id);
      for (let i = 0; i < 50 && view.totals.requests < total; i++) {
        await sleep(100);
        view = await usageOf(key.id);
      }
      expect(view.totals).toMatchObject({
        requests: total,
        prompt_tokens: total * usage.promptTokens,
        completion_tokens: total * usage.completionTokens,
        cached_tokens: 0,
        errors: 0,
      });
      expect(view.totals.cost_usd).toBeCloseTo(total * cost(usage.promptTokens, usage.completionTokens), 8);
      expect(view.data).toHaveLength(1);
      expect(view.data[0]).toMatchObject({ model: MODEL, requests: total });

      const streams = await queryOnce<{ n: string; prompt: string; completion: string }>(
        db.url,
        `SELECT count(*) AS n, sum(prompt_tokens) AS prompt, sum(completion_tokens) AS completion
           FROM usage_records WHERE key_id = $1 AND stream`,
        [key.id],
      );
      expect(streams[0]).toEqual({
        n: String(total / 10),
        prompt: String((total / 10) * usage.promptTokens),
        completion: String((total / 10) * usage.completionTokens),
      });
    });

    it('exports Prometheus metrics that parse, with bounded labels', async () => {
      const text = await scrapeText();
      const families = parsePrometheusTextFormat(text);
      const byName = new Map(families.map((f) => [f.name, f]));
      for (const name of [
        'gateway_llm_requests_total',
        'gateway_rate_limit_rejections_total',
        'gateway_llm_tokens_total',
        'gateway_http_request_duration_seconds',
        'gateway_upstream_pool_sockets',
        'gateway_nodejs_eventloop_lag_seconds',
      ]) {
        expect(byName.has(name) ? name : `missing ${name}`).toBe(name);
      }
      expect(
        sampleValue(families, 'gateway_llm_requests_total', {
          model: MODEL,
          endpoint: 'chat',
          status: '200',
        }),
      ).toBeGreaterThanOrEqual(1000);
      expect(
        sampleValue(families, 'gateway_rate_limit_rejections_total', { limit: 'rpm_key' }),
      ).toBeGreaterThan(0);
      expect(sampleValue(families, 'gateway_rate_limit_rejections_total', { limit: 'tpm' })).toBeGreaterThan(
        0,
      );
      expect(
        sampleValue(families, 'gateway_rate_limit_rejections_total', { limit: 'budget' }),
      ).toBeGreaterThan(0);
      expect(
        sampleValue(families, 'gateway_llm_tokens_total', { model: MODEL, kind: 'prompt' }),
      ).toBeGreaterThanOrEqual(120_000);
      expect(
        sampleValue(families, 'gateway_llm_tokens_total', { model: MODEL, kind: 'completion' }),
      ).toBeGreaterThanOrEqual(30_000);
      const durations = byName.get('gateway_http_request_duration_seconds');
      expect(durations?.type).toBe('HISTOGRAM');
      expect(durations?.metrics[0]?.buckets?.['+Inf']).toBeDefined();
      // The parser merges a histogram's labelled series into one, so its labels are read from the text.
      const durationRoutes = [
        ...text.matchAll(/^gateway_http_request_duration_seconds_count\{[^}]*route="([^"]*)"/gm),
      ].map((m) => m[1]);
      expect(durationRoutes).toContain('/v1/chat/completions');
      expect(durationRoutes).toContain('/api/keys/:id/usage');
      expect(
        sampleValue(families, 'gateway_http_requests_total', {
          route: '/api/keys/:id/usage',
          method: 'GET',
          status: '404',
        }),
      ).toBeGreaterThan(0);
      const pool = byName.get('gateway_upstream_pool_sockets');
      expect(pool?.metrics.some((m) => m.labels?.provider === 'openai')).toBe(true);
      expect(
        Number(byName.get('gateway_nodejs_eventloop_lag_seconds')?.metrics[0]?.value),
      ).toBeGreaterThanOrEqual(0);

      // Route templates and configured names only: no ids, no query strings, no keys.
      const values = [
        ...families.flatMap((f) => f.metrics.flatMap((m) => Object.values(m.labels ?? {}))),
        ...[...text.matchAll(/^\w+\{([^}]*)\}/gm)].flatMap((m) =>
          [...m[1].matchAll(/\w+="((?:[^"\\]|\\.)*)"/g)].map((l) => l[1]),
        ),
      ];
      expect(values).toContain('/v1/chat/completions');
      const offending = values.filter(
        (v) => UUID.test(v) || v.includes('?') || v.includes('sk-slrg-') || /\/api\/keys\/[^:]/.test(v),
      );
      expect(offending).toEqual([]);
    });

    it('never writes a key to the logs', async () => {
      expect(logs.lines.length).toBeGreaterThan(100);
      expect(logs.lines.some((l) => l.includes('"status":401'))).toBe(true);
      expect(secrets.length).toBeGreaterThan(10);
      for (const secret of secrets) {
        expect(logs.text.includes(secret) ? `leaked ${secret.slice(0, 12)}…` : 'clean').toBe('clean');
        const tail = secret.slice(16);
        expect(logs.text.includes(tail) ? `leaked tail of ${secret.slice(0, 12)}…` : 'clean').toBe('clean');
      }
    });
  });

  // Kills Redis: last in the file.
  describe('with Redis killed', () => {
    it('keeps rpm in-process (fail open), refuses budgets with 503 (fail closed), and stays live', async () => {
      const rpmKey = await createKey({ name: 'rpm-only-3', rpm: 3 });
      const budgetKey = await createKey({ name: 'budget-1usd', daily_budget_usd: 1 });
      const failures = (families: MetricFamily[], limiter: string, mode: string) =>
        sampleValue(families, 'gateway_limit_store_failures_total', { limiter, mode });
      const before = await scrape();

      redisKilled = true;
      await redis.stop();
      for (let i = 0; i < 50; i++) {
        if ((await fetch(`${gw.baseUrl}/health/ready`)).status === 503) break;
        await sleep(100);
      }
      expect((await fetch(`${gw.baseUrl}/health/ready`)).status).toBe(503);

      for (let i = 1; i <= 3; i++) {
        const res = await chat(rpmKey.key);
        expect(res.status).toBe(200);
        expect(res.headers.get('x-ratelimit-limit-requests')).toBe('3');
        expect(res.headers.get('x-ratelimit-remaining-requests')).toBe(String(3 - i));
        await res.arrayBuffer();
      }
      const limited = await chat(rpmKey.key);
      expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
      await expectError(limited, 429, 'rate_limit_exceeded');

      const before503 = fake.requestsTo('/v1/chat/completions').length;
      const refused = await expectError(await chat(budgetKey.key), 503, 'service_unavailable');
      expect(refused.type).toBe('server_error');
      expect(fake.requestsTo('/v1/chat/completions')).toHaveLength(before503);

      const after = await scrape();
      expect(
        failures(after, 'requests', 'open') - failures(before, 'requests', 'open'),
      ).toBeGreaterThanOrEqual(4);
      expect(
        failures(after, 'budget', 'closed') - failures(before, 'budget', 'closed'),
      ).toBeGreaterThanOrEqual(1);

      const live = await fetch(`${gw.baseUrl}/health/live`);
      expect(live.status).toBe(200);
      expect(await live.json()).toEqual({ status: 'ok' });
      // Keys are still checked against the database.
      expect((await call('/api/keys')).status).toBe(200);
      for (const secret of secrets) expect(logs.text.includes(secret)).toBe(false);
    });
  });
});
