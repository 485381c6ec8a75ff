import { createClient } from '@redis/client';
import { startBuiltServer, type BuiltServer } from '../support/built-server.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { OpenAiFake } from '../support/fakes/index.js';
import {
  chat,
  completionText,
  targetView,
  waitUntil,
  writeGatewayConfig,
} from '../support/routing-harness.js';
import { tempDir } from '../support/test-config.js';
import { createFreshDatabase, uniqueName } from '../support/test-database.js';

/**
 * Two gateway processes on one Redis (and one key prefix) agree on which targets are cooling:
 * a target cooled by one is skipped by the other within about a second, and a half-open target
 * gets a single probe across both.
 */

const CHAT = '/v1/chat/completions';
const KEY_A = 'sk-shared-a';
const KEY_B = 'sk-shared-b';

describe('routing: cooldowns shared by two gateway processes through Redis', () => {
  const fakeA = new OpenAiFake({ apiKey: KEY_A });
  const fakeB = new OpenAiFake({ apiKey: KEY_B });
  const prefix = `${uniqueName('route')}:`;
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  const servers: BuiltServer[] = [];
  let one: string;
  let two: string;

  const pair = (p: string) => `
    targets:
      - model: openai/gpt-4o-mini
        name: ${p}-a
      - model: openai/gpt-4o-mini
        name: ${p}-b
        base_url: ${fakeB.url}/v1
        api_key_env: OPENAI_B_KEY`;

  beforeAll(async () => {
    await Promise.all([fakeA.start(), fakeB.start()]);
    db = await createFreshDatabase();
    const yaml = `
routing:
  retries: { rate_limit: 0, unavailable: 0, timeout: 0, server_error: 0 }
aliases:
  long:
    cooldown: { failures: 2, window_s: 60, duration_s: 30 }${pair('long')}
  short:
    cooldown: { failures: 2, window_s: 60, duration_s: 1 }${pair('short')}
`;
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      OPENAI_API_KEY: KEY_A,
      OPENAI_BASE_URL: `${fakeA.url}/v1`,
      OPENAI_B_KEY: KEY_B,
      GATEWAY_CONFIG: writeGatewayConfig(tempDir('routing-'), yaml),
      CACHE_DEFAULT_MODE: 'off',
      LOG_LEVEL: 'info',
      DATA_DIR: tempDir(),
    };
    servers.push(await startBuiltServer(env, process.cwd()));
    servers.push(await startBuiltServer(env, process.cwd()));
    [one, two] = servers.map((s) => s.baseUrl) as [string, string];
  }, 60_000);

  afterAll(async () => {
    for (const s of servers) if (s.proc.exitCode === null) s.proc.kill('SIGKILL');
    await Promise.all(servers.map((s) => s.exited));
    await Promise.all([fakeA.stop(), fakeB.stop()]);
    await db?.drop();
    const redis = createClient({ url: TEST_REDIS_URL });
    await redis.connect();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(keys);
    await redis.close();
  });

  beforeEach(() => {
    fakeA.reset();
    fakeB.reset();
    fakeA.setReply({ text: 'from A' });
    fakeB.setReply({ text: 'from B' });
  });

  const sentA = () => fakeA.requestsTo(CHAT).length;

  async function coolThroughOne(alias: string): Promise<void> {
    fakeA.enqueueFault({ status: 500, path: CHAT });
    fakeA.enqueueFault({ status: 500, path: CHAT });
    for (let i = 0; i < 2; i++) expect(completionText(await chat(one, alias))).toBe('from B');
    expect(sentA()).toBe(2);
  }

  it('a target cooled by one instance is skipped by the other within a second', async () => {
    await coolThroughOne('long');
    const cooledAt = Date.now();
    expect((await targetView(one, 'long', 'long-a')).state).toBe('cooling');
    await waitUntil(
      async () => (await targetView(two, 'long', 'long-a')).state === 'cooling',
      1000,
      'B sees it cooling',
    );
    expect(Date.now() - cooledAt).toBeLessThanOrEqual(1000);

    const res = await chat(two, 'long');
    expect(res.status).toBe(200);
    expect(completionText(res)).toBe('from B');
    expect(sentA()).toBe(2);

    const redis = createClient({ url: TEST_REDIS_URL });
    await redis.connect();
    try {
      expect(Object.keys(await redis.hGetAll(`${prefix}route:cooled`))).toContain('long-a');
    } finally {
      await redis.close();
    }
  });

  it('a half-open target gets exactly one probe across both instances, and its recovery reaches both', async () => {
    await coolThroughOne('short');
    for (const base of [one, two]) {
      await waitUntil(
        async () => (await targetView(base, 'short', 'short-a')).state === 'half-open',
        3000,
        'half-open',
      );
    }
    // The probe is held open long enough for the other instance's call to overlap it.
    fakeA.enqueueFault({ delayBeforeHeadersMs: 300, path: CHAT });
    const answers = await Promise.all([chat(one, 'short'), chat(two, 'short')]);
    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    expect(sentA()).toBe(3);
    expect(answers.map(completionText).sort()).toEqual(['from A', 'from B']);
    for (const base of [one, two]) {
      await waitUntil(
        async () => (await targetView(base, 'short', 'short-a')).state === 'healthy',
        1000,
        'healthy',
      );
    }
    expect(completionText(await chat(two, 'short'))).toBe('from A');
    expect(completionText(await chat(one, 'short'))).toBe('from A');
  });
});
