import { setTimeout as sleep } from 'node:timers/promises';
import type { RedisClientType } from '@redis/client';
import { describeCacheStoreContract } from '../../../test/support/cache-store.contract.js';
import { TEST_REDIS_URL } from '../../../test/support/env.js';
import {
  closeTestRedis,
  connectTestRedis,
  pollUntil,
  uniqueKeyPrefix,
  unlinkPrefix,
} from '../../../test/support/redis-test-client.js';
import { DisposableRedis } from '../../../test/support/redis-server.js';
import { MemoryCacheStore } from './memory.cache-store.js';
import { RedisCacheStore } from './redis.cache-store.js';
import { TieredCacheStore } from './tiered.cache-store.js';

/** One gateway instance: its own L1, its own shared client (and, inside the store, its own subscriber). */
interface Instance {
  store: TieredCacheStore;
  client: RedisClientType;
  errors: unknown[];
  stop(): Promise<void>;
}

async function startInstance(url: string, keyPrefix: string): Promise<Instance> {
  const client = await connectTestRedis(url);
  const errors: unknown[] = [];
  const store = new TieredCacheStore({
    l1: new MemoryCacheStore({
      maxEntries: 10_000,
      maxBytes: 16 * 1024 * 1024,
      policy: 'lru',
      sweepIntervalMs: 50,
    }),
    l2: new RedisCacheStore(client, `${keyPrefix}cache:`),
    client,
    keyPrefix,
    heartbeatMs: 100,
    onError: (err) => errors.push(err),
  });
  await pollUntil(() => store.synced, 5000);
  return {
    store,
    client,
    errors,
    stop: async () => {
      await store.close();
      await closeTestRedis(client);
    },
  };
}

const text = (value: Buffer | undefined): string | undefined => value?.toString();

describeCacheStoreContract('TieredCacheStore', async () => {
  const keyPrefix = uniqueKeyPrefix('tiered-store');
  const instance = await startInstance(TEST_REDIS_URL, keyPrefix);
  return {
    store: instance.store,
    dispose: async () => {
      await unlinkPrefix(instance.client, keyPrefix);
      await instance.stop();
    },
  };
});

describe('TieredCacheStore across two instances', () => {
  let keyPrefix: string;
  let a: Instance;
  let b: Instance;
  let raw: RedisClientType;
  const key = 'llm:v1:exact:tenantA:openai/gpt-4o-mini:3f1c';

  beforeEach(async () => {
    keyPrefix = uniqueKeyPrefix('tiered-sync');
    [a, b, raw] = await Promise.all([
      startInstance(TEST_REDIS_URL, keyPrefix),
      startInstance(TEST_REDIS_URL, keyPrefix),
      connectTestRedis(),
    ]);
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await unlinkPrefix(raw, keyPrefix);
    await Promise.all([a.stop(), b.stop(), closeTestRedis(raw)]);
  });

  /**
   * B reads `k` through L2, which fills its L1. A read that overlaps the message of the write it reads
   * does not fill L1 (it cannot tell whether it read the announced value), hence the retries.
   */
  async function readIntoL1(k: string, expected: string): Promise<void> {
    const before = b.store.stats().entries ?? 0;
    await pollUntil(
      async () => text(await b.store.get(k)) === expected && b.store.stats().entries === before + 1,
      200,
    );
  }

  it('serves L1 without asking Redis once filled', async () => {
    await a.store.set(key, Buffer.from('v1'), 60_000);
    await readIntoL1(key, 'v1');
    await raw.del(`${keyPrefix}cache:${key}`); // behind the stores' backs: no message
    expect(text(await b.store.get(key))).toBe('v1');
  });

  it('stops serving an entry deleted on another instance within 100 ms', async () => {
    await a.store.set(key, Buffer.from('v1'), 60_000);
    await readIntoL1(key, 'v1');
    expect(await a.store.delete(key)).toBe(true);
    const ms = await pollUntil(async () => (await b.store.get(key)) === undefined, 100);
    expect(ms).toBeLessThan(100);
  });

  it('serves the new value of an entry overwritten on another instance within 100 ms', async () => {
    await a.store.set(key, Buffer.from('v1'), 60_000);
    await readIntoL1(key, 'v1');
    await a.store.set(key, Buffer.from('v2'), 60_000);
    const ms = await pollUntil(async () => text(await b.store.get(key)) === 'v2', 100);
    expect(ms).toBeLessThan(100);
  });

  it('drops exactly the entries a purge by tenant or by model glob covers, within 100 ms', async () => {
    const keys = {
      aMini: 'llm:v1:exact:tenantA:openai/gpt-4o-mini:1',
      aClaude: 'llm:v1:exact:tenantA:anthropic/claude:2',
      bMini: 'llm:v1:exact:tenantB:openai/gpt-4o-mini:3',
      b4o: 'llm:v1:exact:tenantB:openai/gpt-4o:4',
    };
    for (const k of Object.values(keys)) await a.store.set(k, Buffer.from(k), 60_000);
    for (const k of Object.values(keys)) await readIntoL1(k, k);

    expect(await a.store.deleteMatching('llm:v1:exact:tenantA:*')).toBe(2);
    await pollUntil(() => b.store.stats().entries === 2, 100);
    expect(await b.store.get(keys.aMini)).toBeUndefined();
    expect(await b.store.get(keys.aClaude)).toBeUndefined();

    expect(await a.store.deleteMatching('llm:v1:exact:*:openai/gpt-4o-mini:*')).toBe(1);
    await pollUntil(() => b.store.stats().entries === 1, 100);
    expect(await b.store.get(keys.bMini)).toBeUndefined();
    await raw.del(`${keyPrefix}cache:${keys.b4o}`); // still served from L1: the purges did not cover it
    expect(text(await b.store.get(keys.b4o))).toBe(keys.b4o);
  });

  it('never serves its old L1 copy once the message arrived, whatever Redis holds afterwards', async () => {
    await a.store.set(key, Buffer.from('v1'), 60_000);
    await readIntoL1(key, 'v1');
    await a.store.set(key, Buffer.from('v2'), 60_000);
    await pollUntil(() => b.store.stats().entries === 0, 100);
    await raw.del(`${keyPrefix}cache:${key}`);
    expect(await b.store.get(key)).toBeUndefined();
    await raw.set(`${keyPrefix}cache:${key}`, 'tampered', { expiration: { type: 'PX', value: 60_000 } });
    expect(text(await b.store.get(key))).toBe('tampered');
  });

  /** Holds B's next L2 read after Redis answered, until `release` is called. */
  function holdNextL2Read(): { read: Promise<void>; release: () => void } {
    const original = RedisCacheStore.prototype.getWithTtl;
    let release = (): void => undefined;
    let readDone = (): void => undefined;
    const read = new Promise<void>((resolve) => (readDone = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    jest.spyOn(RedisCacheStore.prototype, 'getWithTtl').mockImplementationOnce(async function (
      this: RedisCacheStore,
      k: string,
    ) {
      const result = await original.call(this, k);
      readDone();
      await released;
      return result;
    });
    return { read, release };
  }

  it('does not fill L1 from a read that an overwrite elsewhere overtook', async () => {
    await a.store.set(key, Buffer.from('v1'), 60_000);
    await sleep(20);
    const hold = holdNextL2Read();
    const inFlight = b.store.get(key);
    await hold.read;
    await a.store.set(key, Buffer.from('v2'), 60_000);
    await sleep(20); // the message reaches B while its read of v1 is still on the way
    hold.release();
    expect(text(await inFlight)).toBe('v1');
    expect(b.store.stats().entries).toBe(0);
    expect(text(await b.store.get(key))).toBe('v2');
  });

  it('does not fill L1 from a read that a purge elsewhere overtook', async () => {
    await a.store.set(key, Buffer.from('v1'), 60_000);
    await sleep(20);
    const hold = holdNextL2Read();
    const inFlight = b.store.get(key);
    await hold.read;
    await a.store.deleteMatching('llm:v1:exact:tenantA:*');
    await sleep(20);
    hold.release();
    expect(text(await inFlight)).toBe('v1');
    expect(await b.store.get(key)).toBeUndefined();
  });

  it('does not fill L1 from a read that its own overwrite overtook', async () => {
    await a.store.set(key, Buffer.from('v1'), 60_000);
    await sleep(20);
    const hold = holdNextL2Read();
    const inFlight = b.store.get(key);
    await hold.read;
    await b.store.set(key, Buffer.from('v2'), 60_000);
    hold.release();
    expect(text(await inFlight)).toBe('v1');
    await raw.del(`${keyPrefix}cache:${key}`);
    expect(text(await b.store.get(key))).toBe('v2'); // B's own write, still in its L1
  });

  it('ignores its own messages', async () => {
    await a.store.set(key, Buffer.from('v1'), 60_000);
    await sleep(50);
    expect(a.store.stats().entries).toBe(1);
  });
});

describe('TieredCacheStore while Redis is unreachable', () => {
  let redis: DisposableRedis;
  let keyPrefix: string;

  beforeEach(async () => {
    redis = await DisposableRedis.start();
    keyPrefix = uniqueKeyPrefix('tiered-outage');
  });
  afterEach(async () => {
    await redis.stop();
  });

  it('keeps get and set working from L1, bounds L1 lifetimes, and recovers', async () => {
    const a = await startInstance(redis.url, keyPrefix);
    try {
      await a.store.set('before', Buffer.from('b'), 60_000);
      await a.store.set('kept', Buffer.from('k'), 60_000);
      const killedAt = performance.now();
      await redis.stop();
      await pollUntil(() => !a.store.synced, 1000);

      await expect(a.store.set('during', Buffer.from('d'), 60_000)).resolves.toBeUndefined();
      expect(text(await a.store.get('during'))).toBe('d');
      expect(text(await a.store.get('kept'))).toBe('k'); // L1 still serves what it had, for a while
      await expect(a.store.get('missing')).resolves.toBeUndefined();
      await expect(a.store.delete('before')).rejects.toThrow();
      await a.store.set('before', Buffer.from('b'), 60_000);

      await pollUntil(async () => (await a.store.get('before')) === undefined, 2000);
      await pollUntil(async () => (await a.store.get('during')) === undefined, 2000);
      await pollUntil(async () => (await a.store.get('kept')) === undefined, 2000);
      // The unsynchronised bound is 1 s; the rest is the sweeper and scheduling.
      expect(performance.now() - killedAt).toBeLessThan(1500);
      expect(a.errors.length).toBeGreaterThan(0);

      await redis.startProcess();
      await pollUntil(() => a.store.synced, 5000);
      await a.store.set('after', Buffer.from('a'), 60_000);
      expect(text(await a.store.get('after'))).toBe('a');
    } finally {
      await a.stop();
    }
  });

  it('drops L1 when it resubscribes, since messages sent meanwhile are lost', async () => {
    const [a, b, raw] = await Promise.all([
      startInstance(redis.url, keyPrefix),
      startInstance(redis.url, keyPrefix),
      connectTestRedis(redis.url),
    ]);
    try {
      await a.store.set('k', Buffer.from('v1'), 60_000);
      await pollUntil(
        async () => text(await b.store.get('k')) === 'v1' && b.store.stats().entries === 1,
        200,
      );
      const killedAt = performance.now();
      await raw.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
      // An overwrite whose message nobody subscribed could receive.
      await raw.set(`${keyPrefix}cache:k`, 'v2', { expiration: { type: 'PX', value: 60_000 } });
      await pollUntil(() => !b.store.synced, 200);
      await pollUntil(() => b.store.synced, 1000);
      expect(text(await b.store.get('k'))).toBe('v2');
      // Well before the 1 s unsynchronised bound would have cleared L1 anyway.
      expect(performance.now() - killedAt).toBeLessThan(700);
    } finally {
      await Promise.all([a.stop(), b.stop(), closeTestRedis(raw)]);
    }
  });
});
