import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@redis/client';
import { startBuiltServer, type BuiltServer } from '../support/built-server.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { OpenAiFake } from '../support/fakes/index.js';
import { tempDir } from '../support/test-config.js';
import { createFreshDatabase, uniqueName } from '../support/test-database.js';

const ADMIN = 'admin-key-for-two-instance-cache';
const BODY = JSON.stringify({
  model: 'openai/gpt-4o-mini',
  messages: [{ role: 'user', content: 'Shared across instances?' }],
});

async function ask(baseUrl: string): Promise<string | null> {
  const res = await fetch(`${baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: BODY,
  });
  await res.arrayBuffer();
  return res.headers.get('x-gateway-cache');
}

describe('response cache shared by two gateway processes (memory in front of Redis)', () => {
  const fake = new OpenAiFake();
  const prefix = `${uniqueName('c2')}:`;
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  const servers: BuiltServer[] = [];

  beforeAll(async () => {
    await fake.start();
    db = await createFreshDatabase();
    const env = {
      ADMIN_API_KEY: ADMIN,
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      OPENAI_API_KEY: 'sk-upstream',
      OPENAI_BASE_URL: `${fake.url}/v1`,
      CACHE_DEFAULT_MODE: 'exact',
      LOG_LEVEL: 'info',
      DATA_DIR: tempDir(),
    };
    servers.push(await startBuiltServer(env, process.cwd()));
    servers.push(await startBuiltServer(env, process.cwd()));
  }, 90_000);

  afterAll(async () => {
    for (const s of servers) if (s.proc.exitCode === null) s.proc.kill('SIGKILL');
    await Promise.all(servers.map((s) => s.exited));
    await fake.stop();
    await db?.drop();
    const redis = createClient({ url: TEST_REDIS_URL });
    await redis.connect();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(keys);
    await redis.close();
  });

  it('serves an answer cached by one instance from the other, and a purge on one reaches the other within 100 ms', async () => {
    const [a, b] = servers.map((s) => s.baseUrl) as [string, string];
    expect(await ask(a)).toBe('miss');
    await sleep(100);
    // B finds it in Redis and keeps a copy in its memory tier.
    expect(await ask(b)).toBe('hit');
    expect(await ask(b)).toBe('hit');
    expect(fake.requestsTo('/v1/chat/completions')).toHaveLength(1);

    const purge = await fetch(`${a}/api/cache`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(purge.status).toBe(200);
    const purgedAt = Date.now();
    let outcome = await ask(b);
    while (outcome === 'hit' && Date.now() - purgedAt < 1000) {
      await sleep(5);
      outcome = await ask(b);
    }
    expect(outcome).toBe('miss');
    expect(Date.now() - purgedAt).toBeLessThan(100);
  }, 30_000);
});
