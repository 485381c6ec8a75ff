import { AnthropicFake, OpenAiFake } from '../support/fakes/index.js';
import { rawRequest, waitFor } from '../support/fakes/wire-client.js';
import {
  chat,
  completionText,
  errorOf,
  routeViews,
  summarizeStream,
  writeGatewayConfig,
} from '../support/routing-harness.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { tempDir, testConfig } from '../support/test-config.js';
import { createFreshDatabase } from '../support/test-database.js';

/**
 * Aliases from GATEWAY_CONFIG switch providers, fall back to the next target on failures another
 * target may not share (429, 5xx, Anthropic 529, first-byte timeouts, refused connections), never on
 * a 400, honour Retry-After, and never switch a stream once content reached the client.
 */

const CHAT = '/v1/chat/completions';
const MESSAGES = '/v1/messages';
const KEY_A = 'sk-openai-a';
const KEY_B = 'sk-openai-b';
const KEY_ANT = 'sk-ant-routing';

describe('routing: provider switching and fallback', () => {
  const openA = new OpenAiFake({ apiKey: KEY_A });
  const openB = new OpenAiFake({ apiKey: KEY_B });
  const anthropic = new AnthropicFake({ apiKey: KEY_ANT });
  /** Started and stopped before the gateway boots: its port refuses connections. */
  const dead = new OpenAiFake();
  let deadUrl: string;
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let gw: RunningApp;

  const secondary = () => `
      - model: openai/gpt-4o-mini
        name: secondary
        base_url: ${openB.url}/v1
        api_key_env: OPENAI_B_KEY`;

  beforeAll(async () => {
    await Promise.all([openA.start(), openB.start(), anthropic.start(), dead.start()]);
    deadUrl = dead.url;
    await dead.stop();
    db = await createFreshDatabase();
    // Cooldowns off: each test sees healthy targets whatever the previous one did.
    const yaml = `
routing:
  backoff: { base_ms: 1, max_ms: 5 }
  cooldown: { failures: 0 }
aliases:
  claude:
    targets:
      - model: anthropic/claude-sonnet-4-5
  chain:
    timeouts: { first_byte_ms: 300 }
    targets:
      - model: openai/gpt-4o-mini
        name: primary${secondary()}
  claude-first:
    targets:
      - model: anthropic/claude-sonnet-4-5
        name: claude${secondary()}
  refused:
    targets:
      - model: openai/gpt-4o-mini
        name: refused
        base_url: ${deadUrl}/v1
        api_key_env: OPENAI_B_KEY${secondary()}
  solo:
    retries: { rate_limit: 1 }
    targets:
      - model: openai/gpt-4o-mini
        name: solo
  mixed:
    retries: { rate_limit: 1, server_error: 1 }
    targets:
      - model: openai/gpt-4o-mini
        name: mixed-a${secondary().replace('name: secondary', 'name: mixed-b')}
  solo-capped:
    retries: { rate_limit: 1 }
    backoff: { retry_after_cap_ms: 500 }
    targets:
      - model: openai/gpt-4o-mini
        name: solo-capped
`;
    gw = await startApp(
      testConfig({
        DATABASE_URL: db.url,
        OPENAI_API_KEY: KEY_A,
        OPENAI_BASE_URL: `${openA.url}/v1`,
        OPENAI_B_KEY: KEY_B,
        ANTHROPIC_API_KEY: KEY_ANT,
        ANTHROPIC_BASE_URL: anthropic.url,
        GATEWAY_CONFIG: writeGatewayConfig(tempDir('routing-'), yaml),
      }),
    );
  });

  afterAll(async () => {
    await gw?.close();
    await Promise.all([openA.stop(), openB.stop(), anthropic.stop()]);
    await db?.drop();
  });

  beforeEach(() => {
    for (const fake of [openA, openB, anthropic]) fake.reset();
    openA.setReply({ text: 'from A', chunks: ['from', ' A'] });
    openB.setReply({ text: 'from B', chunks: ['from', ' B'] });
    anthropic.setReply({ text: 'from Claude', chunks: ['from', ' Claude'] });
  });

  describe('provider switching by alias', () => {
    it('serves an alias from its Anthropic target and says so in the headers', async () => {
      const res = await chat(gw.baseUrl, 'claude');
      expect(res.status).toBe(200);
      expect(completionText(res)).toBe('from Claude');
      expect((JSON.parse(res.text) as { model: string }).model).toBe('claude');
      expect(anthropic.requestsTo(MESSAGES)).toHaveLength(1);
      expect(anthropic.requestsTo(MESSAGES)[0]?.body?.model).toBe('claude-sonnet-4-5');
      expect(openA.requestsTo(CHAT)).toHaveLength(0);
      expect(res.headers['x-gateway-provider']).toBe('anthropic');
      expect(res.headers['x-gateway-target']).toBe('anthropic/claude-sonnet-4-5');
    });

    it('streams an alias from its Anthropic target', async () => {
      const res = await chat(gw.baseUrl, 'claude', { stream: true });
      expect(res.status).toBe(200);
      const s = summarizeStream(res.text);
      expect(s).toEqual({ text: 'from Claude', done: 1, roles: 1, errors: [] });
      expect(res.headers['x-gateway-provider']).toBe('anthropic');
      expect(res.headers['x-gateway-target']).toBe('anthropic/claude-sonnet-4-5');
    });
  });

  describe('fallback to the next target', () => {
    const faults: Array<[string, () => void]> = [
      ['429', () => openA.enqueueFault({ status: 429, headers: { 'retry-after': '1' }, path: CHAT })],
      ['500', () => openA.enqueueFault({ status: 500, path: CHAT })],
      ['503', () => openA.enqueueFault({ status: 503, path: CHAT })],
      ['a reset connection', () => openA.enqueueFault({ resetConnection: true, path: CHAT })],
    ];

    it.each(faults)('moves on after %s from the first target', async (_name, inject) => {
      inject();
      const started = Date.now();
      const res = await chat(gw.baseUrl, 'chain');
      expect(res.status).toBe(200);
      expect(completionText(res)).toBe('from B');
      expect(openA.requestsTo(CHAT)).toHaveLength(1);
      expect(openB.requestsTo(CHAT)).toHaveLength(1);
      // A 429 moves on at once; its Retry-After is only waited for before a second pass.
      expect(Date.now() - started).toBeLessThan(900);
      expect(res.headers['x-gateway-target']).toBe('secondary');
    });

    it('moves on when the first target sends nothing within first_byte_ms', async () => {
      openA.enqueueFault({ delayBeforeHeadersMs: 5000, path: CHAT });
      const started = Date.now();
      const res = await chat(gw.baseUrl, 'chain');
      const elapsed = Date.now() - started;
      expect(res.status).toBe(200);
      expect(completionText(res)).toBe('from B');
      expect(elapsed).toBeGreaterThanOrEqual(280);
      expect(elapsed).toBeLessThan(2000);
      expect(openB.requestsTo(CHAT)).toHaveLength(1);
      // The abandoned attempt is cancelled upstream, not left running.
      await waitFor(() => openA.activeRequests === 0, 2000);
    });

    it('moves on when the first target refuses connections', async () => {
      const res = await chat(gw.baseUrl, 'refused');
      expect(res.status).toBe(200);
      expect(completionText(res)).toBe('from B');
      expect(openB.requestsTo(CHAT)).toHaveLength(1);
      expect(res.headers['x-gateway-target']).toBe('secondary');
    });

    it('moves from an overloaded Anthropic (529) to OpenAI, and names the provider that answered', async () => {
      anthropic.enqueueFault({ status: 529, path: MESSAGES });
      const res = await chat(gw.baseUrl, 'claude-first');
      expect(res.status).toBe(200);
      expect(completionText(res)).toBe('from B');
      expect(anthropic.requestsTo(MESSAGES)).toHaveLength(1);
      expect(openB.requestsTo(CHAT)).toHaveLength(1);
      expect(res.headers['x-gateway-provider']).toBe('openai');
      expect(res.headers['x-gateway-target']).toBe('secondary');
    });

    it('names the provider that answered a stream after a fallback', async () => {
      anthropic.enqueueFault({ status: 529, path: MESSAGES });
      const res = await chat(gw.baseUrl, 'claude-first', { stream: true });
      expect(res.status).toBe(200);
      expect(summarizeStream(res.text)).toEqual({ text: 'from B', done: 1, roles: 1, errors: [] });
      expect(res.headers['x-gateway-provider']).toBe('openai');
      expect(res.headers['x-gateway-target']).toBe('secondary');
    });

    it('does not fall back on a 400: the client gets it and the next target gets nothing', async () => {
      openA.enqueueFault({ status: 400, path: CHAT });
      const res = await chat(gw.baseUrl, 'chain');
      expect(res.status).toBe(400);
      expect(errorOf(res).type).toBe('invalid_request_error');
      expect(openA.requestsTo(CHAT)).toHaveLength(1);
      expect(openB.requestsTo(CHAT)).toHaveLength(0);
    });
  });

  describe('request-level fallbacks on a model named directly', () => {
    const direct = 'openai/gpt-4o-mini';
    const fallbacks = ['anthropic/claude-sonnet-4-5'];

    it('falls back to the listed model on a 500', async () => {
      openA.enqueueFault({ status: 500, path: CHAT });
      const res = await chat(gw.baseUrl, direct, { fallbacks });
      expect(res.status).toBe(200);
      expect(completionText(res)).toBe('from Claude');
      expect(openA.requestsTo(CHAT)).toHaveLength(1);
      expect(anthropic.requestsTo(MESSAGES)).toHaveLength(1);
      expect(res.headers['x-gateway-provider']).toBe('anthropic');
      expect(res.headers['x-gateway-target']).toBe('anthropic/claude-sonnet-4-5');
    });

    it('falls back on a 429 too', async () => {
      openA.enqueueFault({ status: 429, headers: { 'retry-after': '20' }, path: CHAT });
      const res = await chat(gw.baseUrl, direct, { fallbacks });
      expect(res.status).toBe(200);
      expect(completionText(res)).toBe('from Claude');
    });

    it('uses the first model when it answers', async () => {
      const res = await chat(gw.baseUrl, direct, { fallbacks });
      expect(res.status).toBe(200);
      expect(completionText(res)).toBe('from A');
      expect(anthropic.requestsTo(MESSAGES)).toHaveLength(0);
      // The extension stays in the gateway: OpenAI would refuse an unknown parameter.
      expect(openA.requestsTo(CHAT)[0]?.body).not.toHaveProperty('fallbacks');
      expect(res.headers['x-gateway-provider']).toBe('openai');
    });

    it('does not fall back on a 400', async () => {
      openA.enqueueFault({ status: 400, path: CHAT });
      const res = await chat(gw.baseUrl, direct, { fallbacks });
      expect(res.status).toBe(400);
      expect(anthropic.requestsTo(MESSAGES)).toHaveLength(0);
    });

    it('makes exactly one attempt for a model named directly without fallbacks', async () => {
      openA.enqueueFault({ status: 500, path: CHAT });
      const failed = await chat(gw.baseUrl, direct);
      expect(failed.status).toBe(502);
      expect(errorOf(failed).code).toBe('upstream_error');
      openA.enqueueFault({ status: 429, headers: { 'retry-after': '1' }, path: CHAT });
      const limited = await chat(gw.baseUrl, direct);
      expect(limited.status).toBe(429);
      expect(limited.headers['retry-after']).toBe('1');
      expect(openA.requestsTo(CHAT)).toHaveLength(2);
    });
  });

  describe('Retry-After', () => {
    it('waits the upstream Retry-After before retrying a single-target alias', async () => {
      openA.enqueueFault({ status: 429, headers: { 'retry-after': '1' }, path: CHAT });
      const res = await chat(gw.baseUrl, 'solo');
      expect(res.status).toBe(200);
      expect(completionText(res)).toBe('from A');
      const [first, second, ...more] = openA.requestsTo(CHAT);
      expect(more).toHaveLength(0);
      expect(second).toBeDefined();
      expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(990);
    });

    it('returns the 429 with Retry-After at once when the wait is above retry_after_cap_ms', async () => {
      openA.enqueueFault({ status: 429, headers: { 'retry-after': '1' }, path: CHAT });
      const started = Date.now();
      const res = await chat(gw.baseUrl, 'solo-capped');
      expect(Date.now() - started).toBeLessThan(800);
      expect(res.status).toBe(429);
      expect(errorOf(res).code).toBe('rate_limit_exceeded');
      expect(res.headers['retry-after']).toBe('1');
      expect(openA.requestsTo(CHAT)).toHaveLength(1);
    });

    it('does not call a target again before its Retry-After when another target failed last', async () => {
      // Pass 1: A says 429 "retry after 1 s", B fails with a 500. The second pass may only reach A
      // once A's Retry-After has passed.
      openA.enqueueFault({ status: 429, headers: { 'retry-after': '1' }, path: CHAT });
      openB.enqueueFault({ status: 500, path: CHAT });
      const res = await chat(gw.baseUrl, 'mixed');
      expect(res.status).toBe(200);
      const [first, second] = openA.requestsTo(CHAT);
      expect(second).toBeDefined();
      expect((second?.receivedAt ?? 0) - (first?.receivedAt ?? 0)).toBeGreaterThanOrEqual(990);
    });
  });

  describe('streams', () => {
    it('falls back when the stream is cut before any content (after the role chunk)', async () => {
      // One frame of an OpenAI stream is the role chunk: `delta: {role, content: ""}`.
      openA.enqueueFault({ cutAfterChunks: 1, path: CHAT });
      const res = await chat(gw.baseUrl, 'chain', { stream: true });
      expect(res.status).toBe(200);
      expect(res.error).toBeUndefined();
      expect(summarizeStream(res.text)).toEqual({ text: 'from B', done: 1, roles: 1, errors: [] });
      expect(openA.requestsTo(CHAT)).toHaveLength(1);
      expect(openB.requestsTo(CHAT)).toHaveLength(1);
      expect(res.headers['x-gateway-target']).toBe('secondary');
    });

    it('falls back when the first target of a stream sends nothing within first_byte_ms', async () => {
      openA.enqueueFault({ delayBeforeHeadersMs: 5000, path: CHAT });
      const res = await chat(gw.baseUrl, 'chain', { stream: true });
      expect(res.status).toBe(200);
      expect(summarizeStream(res.text)).toEqual({ text: 'from B', done: 1, roles: 1, errors: [] });
    });

    it('ends with an SSE error event (no [DONE], no switch) when cut after content reached the client', async () => {
      openA.setReply({ text: 'one two three four', chunks: ['one', ' two', ' three', ' four'] });
      // Role chunk, "one", " two", then the connection drops.
      openA.enqueueFault({ cutAfterChunks: 3, path: CHAT });
      const res = await chat(gw.baseUrl, 'chain', { stream: true });
      expect(res.status).toBe(200);
      const s = summarizeStream(res.text);
      expect(s.text).toBe('one two');
      expect(s.done).toBe(0);
      expect(s.errors).toHaveLength(1);
      expect(s.errors[0]?.code).toMatch(/^upstream_/);
      expect(openB.requestsTo(CHAT)).toHaveLength(0);
    });
  });

  describe('inspection', () => {
    it('GET /api/routes lists aliases with their targets, state, in-flight calls and latency', async () => {
      anthropic.enqueueFault({ delayBeforeHeadersMs: 400, path: MESSAGES });
      const pending = chat(gw.baseUrl, 'claude');
      await waitFor(() => anthropic.activeRequests === 1, 2000);
      const during = await routeViews(gw.baseUrl);
      const done = await pending;
      expect(done.status).toBe(200);
      const after = await routeViews(gw.baseUrl);

      expect(after.map((r) => r.alias).sort()).toEqual(
        ['chain', 'claude', 'claude-first', 'mixed', 'refused', 'solo', 'solo-capped'].sort(),
      );
      const chain = after.find((r) => r.alias === 'chain');
      expect(chain).toEqual({
        alias: 'chain',
        strategy: 'fallback',
        targets: [
          expect.objectContaining({ id: 'primary', provider: 'openai', model: 'gpt-4o-mini', weight: 1 }),
          expect.objectContaining({ id: 'secondary', provider: 'openai', model: 'gpt-4o-mini', weight: 1 }),
        ],
      });
      for (const t of chain?.targets ?? []) {
        expect(Object.keys(t).sort()).toEqual(
          ['cooling_until', 'ewma_ms', 'id', 'in_flight', 'model', 'provider', 'state', 'weight'].sort(),
        );
        expect(t.state).toBe('healthy');
        expect(t.cooling_until).toBeNull();
      }
      const claudeDuring = during.find((r) => r.alias === 'claude')?.targets[0];
      const claudeAfter = after.find((r) => r.alias === 'claude')?.targets[0];
      expect(claudeDuring?.in_flight).toBe(1);
      expect(claudeAfter?.in_flight).toBe(0);
      expect(claudeAfter?.ewma_ms).toEqual(expect.any(Number));
      expect(claudeAfter?.ewma_ms).toBeGreaterThan(0);
    });

    it('GET /health/ready reports the routing targets and their state', async () => {
      const res = await rawRequest(`${gw.baseUrl}/health/ready`);
      expect(res.status).toBe(200);
      const body = JSON.parse(res.text) as { details: Record<string, { status: string; targets?: object }> };
      expect(body.details.routing?.status).toBe('up');
      expect(body.details.routing?.targets).toMatchObject({
        primary: 'healthy',
        secondary: 'healthy',
        refused: 'healthy',
        'anthropic/claude-sonnet-4-5': 'healthy',
      });
    });

    it('GET /v1/models lists the aliases', async () => {
      const res = await rawRequest(`${gw.baseUrl}/v1/models`);
      expect(res.status).toBe(200);
      const ids = (JSON.parse(res.text) as { data: Array<{ id: string }> }).data.map((m) => m.id);
      expect(ids).toEqual(
        expect.arrayContaining(['chain', 'claude', 'claude-first', 'solo', 'openai/gpt-4o-mini']),
      );
    });
  });
});
