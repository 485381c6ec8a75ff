import type { RedisClientType } from '@redis/client';
import { describeCacheStoreContract } from '../../../test/support/cache-store.contract.js';
import {
  closeTestRedis,
  connectTestRedis,
  uniqueKeyPrefix,
  unlinkPrefix,
} from '../../../test/support/redis-test-client.js';
import { DisposableRedis } from '../../../test/support/redis-server.js';
import { RedisCacheStore } from './redis.cache-store.js';

describeCacheStoreContract('RedisCacheStore', async () => {
  const client = await connectTestRedis();
  const keyPrefix = uniqueKeyPrefix('redis-store');
  return {
    store: new RedisCacheStore(client, `${keyPrefix}cache:`),
    dispose: async () => {
      await unlinkPrefix(client, keyPrefix);
      await closeTestRedis(client);
    },
  };
});

describe('RedisCacheStore', () => {
  let client: RedisClientType;
  let keyPrefix: string;

  beforeEach(async () => {
    client = await connectTestRedis();
    keyPrefix = uniqueKeyPrefix('redis-store');
  });
  afterEach(async () => {
    await unlinkPrefix(client, keyPrefix);
    await closeTestRedis(client);
  });

  it('stores under its prefix with a millisecond expiry', async () => {
    const store = new RedisCacheStore(client, `${keyPrefix}cache:`);
    await store.set('llm:v1:exact:t:abc', Buffer.from('v'), 5000);
    // SCAN may return a key more than once (while Redis rehashes its table): compare the set.
    const keys = new Set<string>();
    for await (const page of client.scanIterator({ MATCH: `${keyPrefix}*` }))
      for (const k of page) keys.add(k);
    expect([...keys]).toEqual([`${keyPrefix}cache:llm:v1:exact:t:abc`]);
    const pttl = await client.pTTL(`${keyPrefix}cache:llm:v1:exact:t:abc`);
    expect(pttl).toBeGreaterThan(4800);
    expect(pttl).toBeLessThanOrEqual(5000);
  });

  it('reads the value and its remaining TTL together', async () => {
    const store = new RedisCacheStore(client, `${keyPrefix}cache:`);
    const value = Buffer.from([0x00, 0xff, 0x80, 0x7f]);
    await store.set('k', value, 5000);
    const hit = await store.getWithTtl('k');
    expect(hit?.value).toEqual(value);
    expect(hit?.ttlMs).toBeGreaterThan(4800);
    expect(hit?.ttlMs).toBeLessThanOrEqual(5000);
    expect(await store.getWithTtl('missing')).toBeUndefined();
    await client.set(`${keyPrefix}cache:forever`, 'x');
    expect(await store.getWithTtl('forever')).toEqual({ value: Buffer.from('x'), ttlMs: Infinity });
  });

  it('reloads its script after the script cache is flushed (a Redis of its own: the flush is global)', async () => {
    const redis = await DisposableRedis.start();
    const own = await connectTestRedis(redis.url);
    try {
      const store = new RedisCacheStore(own, `${keyPrefix}cache:`);
      await store.set('k', Buffer.from('v'), 5000);
      expect((await store.getWithTtl('k'))?.value).toEqual(Buffer.from('v'));
      await own.scriptFlush();
      expect((await store.getWithTtl('k'))?.value).toEqual(Buffer.from('v'));
    } finally {
      await closeTestRedis(own);
      await redis.stop();
    }
  });

  it('purges only its own prefix, even when the prefix holds glob characters', async () => {
    const starred = new RedisCacheStore(client, `${keyPrefix}t*cache:`);
    const neighbour = new RedisCacheStore(client, `${keyPrefix}tXcache:`);
    await starred.set('k1', Buffer.from('a'), 10_000);
    await neighbour.set('k1', Buffer.from('b'), 10_000);
    await neighbour.set('k2', Buffer.from('b'), 10_000);
    expect(await starred.deleteMatching('k*')).toBe(1);
    expect(await neighbour.get('k1')).toEqual(Buffer.from('b'));
    expect(await neighbour.deleteMatching('*')).toBe(2);
  });
});
