import { randomBytes } from 'node:crypto';
import { TemplatesCacheService } from '../../src/templates/templates-cache.service.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { DisposableRedis } from '../support/redis-server.js';
import {
  closeTestRedis,
  connectTestRedis,
  pollUntil,
  uniqueKeyPrefix,
  unlinkPrefix,
} from '../support/redis-test-client.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { tempDir, testConfig } from '../support/test-config.js';
import { createFreshDatabase } from '../support/test-database.js';

const ADMIN_KEY = `admin-${randomBytes(16).toString('hex')}`;
const SCHEMA = { type: 'object', properties: { x: { type: 'string' } } };

interface Rendered {
  name: string;
  version: number;
  text: string;
}

function client(gw: RunningApp, key = ADMIN_KEY) {
  const send = (path: string, method: string, body?: unknown): Promise<Response> =>
    fetch(`${gw.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  return {
    async create(name: string, content: string): Promise<void> {
      const res = await send('/api/templates', 'POST', { name, content, variables: SCHEMA });
      expect(res.status).toBe(201);
    },
    async put(name: string, content: string): Promise<number> {
      const res = await send(`/api/templates/${name}`, 'PUT', { content });
      expect(res.status).toBe(200);
      return ((await res.json()) as { version: number }).version;
    },
    async remove(name: string): Promise<void> {
      expect((await send(`/api/templates/${name}`, 'DELETE')).status).toBe(204);
    },
    /** The rendered text, or the error status. */
    async render(name: string): Promise<Rendered | number> {
      const res = await send(`/api/templates/${name}/render`, 'POST', { variables: { x: '!' } });
      if (res.status !== 200) {
        await res.arrayBuffer();
        return res.status;
      }
      return (await res.json()) as Rendered;
    },
  };
}

function cacheOf(gw: RunningApp): TemplatesCacheService {
  return gw.app.get(TemplatesCacheService);
}

describe('template cache across two instances (shared Postgres and Redis)', () => {
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  const prefix = uniqueKeyPrefix('templates-cache');
  let a: RunningApp;
  let b: RunningApp;

  beforeAll(async () => {
    db = await createFreshDatabase();
    const env = {
      DATABASE_URL: db.url,
      ADMIN_API_KEY: ADMIN_KEY,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
    };
    a = await startApp(testConfig(env));
    b = await startApp(testConfig(env));
    await pollUntil(() => cacheOf(a).synced && cacheOf(b).synced, 10_000);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
    const redis = await connectTestRedis();
    await unlinkPrefix(redis, prefix);
    await closeTestRedis(redis);
  });

  it("serves B's renders from its cache until A's PUT or DELETE invalidates them", async () => {
    const [onA, onB] = [client(a), client(b)];
    await onA.create('shared', 'one {{x}}');
    // The create is published too, and may reach B after B's first render has cached the name (B
    // then drops it): measure a pair of renders once B has kept the mapping.
    type CacheStats = ReturnType<TemplatesCacheService['cache']['stats']>;
    let before: CacheStats | undefined;
    let after: CacheStats | undefined;
    await pollUntil(async () => {
      await expect(onB.render('shared')).resolves.toMatchObject({ version: 1, text: 'one !' });
      before = cacheOf(b).cache.stats();
      await expect(onB.render('shared')).resolves.toMatchObject({ version: 1 });
      after = cacheOf(b).cache.stats();
      return after.refHits === before.refHits + 1;
    }, 2_000);
    if (!before || !after) throw new Error('no renders measured');
    // The latest-version mapping and the compiled template both came from the cache ...
    expect(after.compiledHits).toBe(before.compiledHits + 1);
    expect(after.refMisses).toBe(before.refMisses);
    // ... and would live for minutes: only the published invalidation can make B see a new version
    // within the 500 ms allowed below.
    const now = Date.now();
    expect(cacheOf(b).refExpiry(now) - now).toBeGreaterThan(60_000);

    expect(await onA.put('shared', 'two {{x}}')).toBe(2);
    await pollUntil(async () => {
      const r = await onB.render('shared');
      return typeof r === 'object' && r.version === 2 && r.text === 'two !';
    }, 500);

    await onA.remove('shared');
    await pollUntil(async () => (await onB.render('shared')) === 404, 500);

    // Created afresh: version 1 again, with the new content on both instances.
    await onA.create('shared', 'fresh {{x}}');
    await expect(onB.render('shared')).resolves.toMatchObject({ version: 1, text: 'fresh !' });
  });
});

describe('template cache when Redis goes away', () => {
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let redis: DisposableRedis;
  let a: RunningApp;
  let b: RunningApp;

  beforeAll(async () => {
    [db, redis] = await Promise.all([createFreshDatabase(), DisposableRedis.start()]);
    const env = { DATABASE_URL: db.url, ADMIN_API_KEY: ADMIN_KEY, REDIS_URL: redis.url };
    a = await startApp(testConfig(env));
    b = await startApp(testConfig(env));
    await pollUntil(() => cacheOf(a).synced && cacheOf(b).synced, 10_000);
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await redis?.stop();
    await db?.drop();
  });

  it('drops the name mappings and keeps them a second only until the subscription is back', async () => {
    const [onA, onB] = [client(a), client(b)];
    await onA.create('outage', 'one {{x}}');
    // The create's invalidation reaches B over pub/sub, possibly after B's first render has cached
    // the name (and then drops it): render until B holds a mapping.
    await pollUntil(async () => {
      const r = await onB.render('outage');
      expect(r).toMatchObject({ version: 1 });
      return cacheOf(b).cache.stats().refs > 0;
    }, 2_000);

    await redis.stop();
    await pollUntil(() => !cacheOf(b).synced, 5_000);
    expect(cacheOf(b).cache.stats().refs).toBe(0);
    const now = Date.now();
    expect(cacheOf(b).refExpiry(now) - now).toBeLessThanOrEqual(1_000);

    // A's invalidation cannot be published; B still sees the new version within about a second.
    await expect(onB.render('outage')).resolves.toMatchObject({ version: 1 });
    expect(await onA.put('outage', 'two {{x}}')).toBe(2);
    await pollUntil(async () => {
      const r = await onB.render('outage');
      return typeof r === 'object' && r.version === 2;
    }, 2_500);

    await redis.startProcess();
    await pollUntil(() => cacheOf(a).synced && cacheOf(b).synced, 15_000);
    expect(await onA.put('outage', 'three {{x}}')).toBe(3);
    await pollUntil(async () => {
      const r = await onB.render('outage');
      return typeof r === 'object' && r.version === 3;
    }, 500);
  });
});

describe('templates on the embedded database (PGlite)', () => {
  let gw: RunningApp;

  beforeAll(async () => {
    gw = await startApp(testConfig({ DATA_DIR: tempDir('slrg-templates-') }));
  }, 90_000);

  afterAll(async () => {
    await gw?.close();
  });

  it('creates, versions (advisory lock and all) and renders a template', async () => {
    const onGw = client(gw, 'any');
    await onGw.create('embedded', 'one {{x}}');
    const versions = await Promise.all([
      onGw.put('embedded', 'two {{x}}'),
      onGw.put('embedded', 'three {{x}}'),
    ]);
    expect(versions.sort()).toEqual([2, 3]);
    await expect(onGw.render('embedded')).resolves.toMatchObject({ version: 3 });
  });
});
