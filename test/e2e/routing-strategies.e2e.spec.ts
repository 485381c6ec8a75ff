import { OpenAiFake } from '../support/fakes/index.js';
import { chat, routeViews, runPool, writeGatewayConfig } from '../support/routing-harness.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { tempDir, testConfig } from '../support/test-config.js';
import { createFreshDatabase } from '../support/test-database.js';

/**
 * Load-balancing strategies as a client sees them: which upstream each request reached, counted
 * by the fakes. Every strategy is checked against what round-robin would give, so it can fail.
 */

const CHAT = '/v1/chat/completions';
const KEY_A = 'sk-balance-a';
const KEY_B = 'sk-balance-b';

describe('routing: load-balancing strategies', () => {
  const fakeA = new OpenAiFake({ apiKey: KEY_A });
  const fakeB = new OpenAiFake({ apiKey: KEY_B });
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let gw: RunningApp;

  const pair = (prefix: string, weights: [number, number] = [1, 1]) => `
    targets:
      - model: openai/gpt-4o-mini
        name: ${prefix}-a
        weight: ${weights[0]}
      - model: openai/gpt-4o-mini
        name: ${prefix}-b
        weight: ${weights[1]}
        base_url: ${fakeB.url}/v1
        api_key_env: OPENAI_B_KEY`;

  beforeAll(async () => {
    await Promise.all([fakeA.start(), fakeB.start()]);
    db = await createFreshDatabase();
    const yaml = `
routing:
  cooldown: { failures: 0 }
aliases:
  split:
    strategy: weighted${pair('w', [3, 1])}
  busy:
    strategy: least-busy${pair('lb')}
  quick:
    strategy: latency${pair('lat')}
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
  });

  const counts = () => ({ a: fakeA.requestsTo(CHAT).length, b: fakeB.requestsTo(CHAT).length });

  it('weighted 3:1 splits 2,000 requests within ±5 points of 75/25', async () => {
    const statuses = await runPool(
      2000,
      20,
      async (i) => (await chat(gw.baseUrl, 'split', { prompt: `q${i}` })).status,
    );
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const { a, b } = counts();
    expect(a + b).toBe(2000);
    expect(a / 2000).toBeGreaterThanOrEqual(0.7);
    expect(a / 2000).toBeLessThanOrEqual(0.8);
  }, 60_000);

  it('least-busy sends most concurrent requests to the idle target while the other is slow', async () => {
    fakeA.setDefaultBehaviour({ delayBeforeHeadersMs: 200, path: CHAT });
    const statuses = await runPool(
      100,
      8,
      async (i) => (await chat(gw.baseUrl, 'busy', { prompt: `b${i}` })).status,
    );
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const { a, b } = counts();
    expect(a + b).toBe(100);
    // Round-robin would give 50/50.
    expect(b / 100).toBeGreaterThanOrEqual(0.8);
  });

  it('latency sends the large majority of sequential requests to the faster target after warm-up', async () => {
    fakeA.setDefaultBehaviour({ delayBeforeHeadersMs: 150, path: CHAT });
    fakeB.setDefaultBehaviour({ delayBeforeHeadersMs: 5, path: CHAT });
    for (let i = 0; i < 4; i++)
      expect((await chat(gw.baseUrl, 'quick', { prompt: `warm${i}` })).status).toBe(200);
    const warm = counts();
    expect(warm.a).toBeGreaterThanOrEqual(1);
    expect(warm.b).toBeGreaterThanOrEqual(1);
    for (let i = 0; i < 40; i++)
      expect((await chat(gw.baseUrl, 'quick', { prompt: `seq${i}` })).status).toBe(200);
    const b = counts().b - warm.b;
    expect(b / 40).toBeGreaterThanOrEqual(0.8);
    const targets = (await routeViews(gw.baseUrl)).find((r) => r.alias === 'quick')?.targets ?? [];
    const ewma = Object.fromEntries(targets.map((t) => [t.id, t.ewma_ms ?? NaN]));
    expect(ewma['lat-a']).toBeGreaterThan(100);
    expect(ewma['lat-b']).toBeLessThan(100);
  });
});
