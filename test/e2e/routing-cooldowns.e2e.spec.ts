import { setTimeout as sleep } from 'node:timers/promises';
import { OpenAiFake } from '../support/fakes/index.js';
import { rawRequest, waitFor } from '../support/fakes/wire-client.js';
import {
  chat,
  completionText,
  errorOf,
  summarizeStream,
  targetView,
  waitUntil,
  writeGatewayConfig,
} from '../support/routing-harness.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { tempDir, testConfig } from '../support/test-config.js';
import { createFreshDatabase } from '../support/test-database.js';

/**
 * Cooldowns in one instance (in-process store): repeated failures take a target out of rotation,
 * it comes back half-open with a single real probe, and a success makes it healthy again.
 */

const CHAT = '/v1/chat/completions';
const KEY_A = 'sk-cool-a';
const KEY_B = 'sk-cool-b';

describe('routing: cooldown and recovery', () => {
  const fakeA = new OpenAiFake({ apiKey: KEY_A });
  const fakeB = new OpenAiFake({ apiKey: KEY_B });
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let gw: RunningApp;

  /** Two targets, first on fake A, then on fake B; names are unique per alias (health is per target). */
  const pair = (prefix: string) => `
    targets:
      - model: openai/gpt-4o-mini
        name: ${prefix}-a
      - model: openai/gpt-4o-mini
        name: ${prefix}-b
        base_url: ${fakeB.url}/v1
        api_key_env: OPENAI_B_KEY`;

  beforeAll(async () => {
    await Promise.all([fakeA.start(), fakeB.start()]);
    db = await createFreshDatabase();
    const yaml = `
routing:
  retries: { rate_limit: 0, unavailable: 0, timeout: 0, server_error: 0 }
  cooldown: { failures: 2, window_s: 60, duration_s: 1 }
aliases:
  recover:${pair('rec')}
  reprobe:${pair('rep')}
  auth:${pair('auth')}
  doomed:
    cooldown: { failures: 1, window_s: 60, duration_s: 5 }${pair('doom')}
  windowed:
    cooldown: { failures: 2, window_s: 0.3, duration_s: 1 }${pair('win')}
  lease-400:${pair('l400')}
  lease-abort:${pair('labt')}
  midstream:${pair('mid')}
`;
    gw = await startApp(
      testConfig({
        DATABASE_URL: db.url,
        OPENAI_API_KEY: KEY_A,
        OPENAI_BASE_URL: `${fakeA.url}/v1`,
        OPENAI_B_KEY: KEY_B,
        GATEWAY_CONFIG: writeGatewayConfig(tempDir('routing-'), yaml),
      }),
    );
  });

  afterAll(async () => {
    await gw?.close();
    await Promise.all([fakeA.stop(), fakeB.stop()]);
    await db?.drop();
  });

  beforeEach(() => {
    fakeA.reset();
    fakeB.reset();
    fakeA.setReply({ text: 'from A' });
    fakeB.setReply({ text: 'from B' });
  });

  const sentA = () => fakeA.requestsTo(CHAT).length;
  const sentB = () => fakeB.requestsTo(CHAT).length;
  const stateOf = async (alias: string, id: string) => (await targetView(gw.baseUrl, alias, id)).state;

  /** Two 500s from fake A: the alias's first target cools (each call still answered by B). */
  async function coolFirstTarget(alias: string, id: string): Promise<void> {
    fakeA.enqueueFault({ status: 500, path: CHAT });
    fakeA.enqueueFault({ status: 500, path: CHAT });
    const first = await chat(gw.baseUrl, alias);
    expect(first.status).toBe(200);
    expect(await stateOf(alias, id)).toBe('healthy');
    const second = await chat(gw.baseUrl, alias);
    expect(second.status).toBe(200);
    expect(completionText(second)).toBe('from B');
  }

  it('skips a target after 2 failures, probes it once when the cooldown ends, and a success heals it', async () => {
    await coolFirstTarget('recover', 'rec-a');
    expect(sentA()).toBe(2);
    const cooling = await targetView(gw.baseUrl, 'recover', 'rec-a');
    expect(cooling.state).toBe('cooling');
    expect(Date.parse(cooling.cooling_until ?? '')).toBeGreaterThan(Date.now());
    expect(Date.parse(cooling.cooling_until ?? '')).toBeLessThanOrEqual(Date.now() + 1000);

    // While cooling, nothing reaches it.
    for (let i = 0; i < 3; i++) expect(completionText(await chat(gw.baseUrl, 'recover'))).toBe('from B');
    expect(sentA()).toBe(2);
    expect(await stateOf('recover', 'rec-b')).toBe('healthy');

    await waitUntil(async () => (await stateOf('recover', 'rec-a')) === 'half-open', 2500, 'half-open');
    // Half-open: of three concurrent calls exactly one probes it (held open so the others overlap).
    fakeA.enqueueFault({ delayBeforeHeadersMs: 200, path: CHAT });
    const answers = await Promise.all([1, 2, 3].map(() => chat(gw.baseUrl, 'recover')));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(sentA()).toBe(3);
    expect(answers.map(completionText).sort()).toEqual(['from A', 'from B', 'from B']);
    const healed = await targetView(gw.baseUrl, 'recover', 'rec-a');
    expect(healed.state).toBe('healthy');
    expect(healed.cooling_until).toBeNull();
    expect(completionText(await chat(gw.baseUrl, 'recover'))).toBe('from A');
  });

  it('cools a target again at once when its probe fails', async () => {
    await coolFirstTarget('reprobe', 'rep-a');
    const firstUntil = Date.parse((await targetView(gw.baseUrl, 'reprobe', 'rep-a')).cooling_until ?? '');
    await waitUntil(async () => (await stateOf('reprobe', 'rep-a')) === 'half-open', 2500, 'half-open');
    fakeA.enqueueFault({ status: 500, path: CHAT });
    const res = await chat(gw.baseUrl, 'reprobe');
    expect(res.status).toBe(200);
    expect(completionText(res)).toBe('from B');
    expect(sentA()).toBe(3);
    const again = await targetView(gw.baseUrl, 'reprobe', 'rep-a');
    expect(again.state).toBe('cooling');
    expect(Date.parse(again.cooling_until ?? '')).toBeGreaterThan(firstUntil);
    expect(completionText(await chat(gw.baseUrl, 'reprobe'))).toBe('from B');
    expect(sentA()).toBe(3);
  });

  it('cools a target after a single upstream 401', async () => {
    fakeA.enqueueFault({ status: 401, path: CHAT });
    const res = await chat(gw.baseUrl, 'auth');
    expect(res.status).toBe(200);
    expect(completionText(res)).toBe('from B');
    expect(await stateOf('auth', 'auth-a')).toBe('cooling');
    expect(completionText(await chat(gw.baseUrl, 'auth'))).toBe('from B');
    expect(sentA()).toBe(1);
  });

  it('answers 503 upstream_unavailable with Retry-After when every target is cooling', async () => {
    fakeA.enqueueFault({ status: 500, path: CHAT });
    fakeB.enqueueFault({ status: 500, path: CHAT });
    const failed = await chat(gw.baseUrl, 'doomed');
    expect(failed.status).toBe(502);
    expect(await stateOf('doomed', 'doom-a')).toBe('cooling');
    expect(await stateOf('doomed', 'doom-b')).toBe('cooling');

    const res = await chat(gw.baseUrl, 'doomed');
    expect(res.status).toBe(503);
    expect(errorOf(res)).toMatchObject({ code: 'upstream_unavailable' });
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(5);
    expect(sentA()).toBe(1);
    expect(sentB()).toBe(1);

    const streamed = await chat(gw.baseUrl, 'doomed', { stream: true });
    expect(streamed.status).toBe(503);
    expect(streamed.headers['retry-after']).toBeDefined();
  });

  it('counts failures only within window_s', async () => {
    fakeA.enqueueFault({ status: 500, path: CHAT });
    expect((await chat(gw.baseUrl, 'windowed')).status).toBe(200);
    // The first failure's window (0.3 s) runs out: nothing to poll for, time itself is the condition.
    await sleep(450);
    fakeA.enqueueFault({ status: 500, path: CHAT });
    expect((await chat(gw.baseUrl, 'windowed')).status).toBe(200);
    expect(await stateOf('windowed', 'win-a')).toBe('healthy');
    expect(completionText(await chat(gw.baseUrl, 'windowed'))).toBe('from A');
  });

  it('counts streams that break after content reached the client against the target', async () => {
    fakeA.setReply({ text: 'one two three', chunks: ['one', ' two', ' three'] });
    // Role chunk and "one", then the connection drops: twice, the failure threshold.
    for (let i = 0; i < 2; i++) {
      fakeA.enqueueFault({ cutAfterChunks: 2, path: CHAT });
      const res = await chat(gw.baseUrl, 'midstream', { stream: true });
      const s = summarizeStream(res.text);
      expect(s.text).toBe('one');
      expect(s.errors).toHaveLength(1);
      expect(s.done).toBe(0);
    }
    expect(sentA()).toBe(2);
    expect(await stateOf('midstream', 'mid-a')).toBe('cooling');
    expect(completionText(await chat(gw.baseUrl, 'midstream'))).toBe('from B');
    expect(sentA()).toBe(2);
  });

  describe('a probe that ends without a verdict does not keep the target out', () => {
    it('after the probe call got a 400 (not a health signal), the next call probes again', async () => {
      await coolFirstTarget('lease-400', 'l400-a');
      await waitUntil(async () => (await stateOf('lease-400', 'l400-a')) === 'half-open', 2500, 'half-open');
      fakeA.enqueueFault({ status: 400, path: CHAT });
      expect((await chat(gw.baseUrl, 'lease-400')).status).toBe(400);
      expect(sentA()).toBe(3);
      const next = await chat(gw.baseUrl, 'lease-400');
      expect(next.status).toBe(200);
      // The target is not cooling (its cooldown is over): this call may probe it.
      expect(sentA()).toBe(4);
      expect(completionText(next)).toBe('from A');
    });

    it('after the client went away during the probe, the next call probes again', async () => {
      await coolFirstTarget('lease-abort', 'labt-a');
      await waitUntil(
        async () => (await stateOf('lease-abort', 'labt-a')) === 'half-open',
        2500,
        'half-open',
      );
      fakeA.enqueueFault({ delayBeforeHeadersMs: 3000, path: CHAT });
      const controller = new AbortController();
      const abandoned = rawRequest(`${gw.baseUrl}/v1/chat/completions`, {
        body: { model: 'lease-abort', messages: [{ role: 'user', content: 'hi' }] },
        signal: controller.signal,
      });
      await waitFor(() => fakeA.activeRequests === 1, 2000);
      controller.abort();
      await abandoned;
      await waitFor(() => fakeA.activeRequests === 0, 2000);
      expect(sentA()).toBe(3);
      const next = await chat(gw.baseUrl, 'lease-abort');
      expect(next.status).toBe(200);
      expect(sentA()).toBe(4);
      expect(completionText(next)).toBe('from A');
    });
  });
});
