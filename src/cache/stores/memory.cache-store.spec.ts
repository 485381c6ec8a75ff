import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describeCacheStoreContract } from '../../../test/support/cache-store.contract.js';
import { pollUntil } from '../../../test/support/redis-test-client.js';
import type { EvictionPolicy } from '../../config/app-config.js';
import { MemoryCacheStore, type MemoryCacheStoreOptions } from './memory.cache-store.js';

const POLICIES: EvictionPolicy[] = ['lru', 'lfu', 'fifo'];
const MB = 1024 * 1024;

for (const policy of POLICIES) {
  describeCacheStoreContract(`MemoryCacheStore (${policy})`, async () => {
    const store = new MemoryCacheStore({ maxEntries: 10_000, maxBytes: 16 * MB, policy });
    return { store, dispose: () => store.close() };
  });
}

/**
 * Memory in use after real full collections, so the figure is what is retained rather than what is not
 * collected yet. Array buffers are freed concurrently after a collection, hence the pause and second run.
 */
async function retainedBytes(): Promise<number> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  await sleep(50);
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

describe('MemoryCacheStore', () => {
  const stores: MemoryCacheStore[] = [];
  const open = (options: MemoryCacheStoreOptions): MemoryCacheStore => {
    const store = new MemoryCacheStore(options);
    stores.push(store);
    return store;
  };
  const v = (text: string): Buffer => Buffer.from(text);
  async function present(store: MemoryCacheStore, keys: string[]): Promise<string[]> {
    const found: string[] = [];
    // getWithTtl would count as a read too; `stats` cannot name keys. Reads are part of what is tested.
    for (const key of keys) if (await store.get(key)) found.push(key);
    return found;
  }

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  it('LRU evicts the least recently read entry', async () => {
    const store = open({ maxEntries: 3, maxBytes: MB, policy: 'lru' });
    for (const key of ['a', 'b', 'c']) await store.set(key, v(key), 10_000);
    await store.get('a');
    await store.set('d', v('d'), 10_000);
    expect(store.stats()).toMatchObject({ entries: 3, evictions: 1 });
    expect(await store.get('b')).toBeUndefined();
    expect(await present(store, ['a', 'c', 'd'])).toEqual(['a', 'c', 'd']);
  });

  it('FIFO evicts in insertion order whatever was read', async () => {
    const store = open({ maxEntries: 3, maxBytes: MB, policy: 'fifo' });
    for (const key of ['a', 'b', 'c']) await store.set(key, v(key), 10_000);
    await store.get('a');
    await store.get('a');
    await store.set('d', v('d'), 10_000);
    expect(await store.get('a')).toBeUndefined();
    await store.set('e', v('e'), 10_000);
    expect(await store.get('b')).toBeUndefined();
    expect(store.stats()).toMatchObject({ entries: 3, evictions: 2 });
  });

  it('LFU evicts the least read entry, the oldest of equals first, never the one being added', async () => {
    const store = open({ maxEntries: 3, maxBytes: MB, policy: 'lfu' });
    for (const key of ['a', 'b', 'c']) await store.set(key, v(key), 10_000);
    await store.get('a');
    await store.get('a');
    await store.get('c');
    await store.set('d', v('d'), 10_000); // b: 0 reads
    expect(await store.get('b')).toBeUndefined();
    await store.set('e', v('e'), 10_000); // d: 0 reads, the only such entry other than e
    expect(await store.get('d')).toBeUndefined();
    await store.get('e'); // a: 2, c: 1, e: 1 (c reached 1 first)
    await store.set('f', v('f'), 10_000);
    expect(await store.get('c')).toBeUndefined();
    expect(store.stats()).toMatchObject({ entries: 3, evictions: 3 });
    expect(await present(store, ['a', 'e', 'f'])).toEqual(['a', 'e', 'f']);
  });

  it('counts value bytes plus key length and keeps bytes within maxBytes after every set', async () => {
    const store = open({ maxEntries: 100, maxBytes: 100, policy: 'lru' });
    await store.set('key1', Buffer.alloc(26), 10_000);
    expect(store.stats()).toMatchObject({ entries: 1, bytes: 30 });
    for (let i = 2; i <= 10; i++) {
      await store.set(`key${i % 10}`, Buffer.alloc(26), 10_000);
      expect(store.stats().bytes).toBeLessThanOrEqual(100);
    }
    expect(store.stats()).toMatchObject({ entries: 3, bytes: 90, evictions: 7 });
    await store.set('big', Buffer.alloc(90), 10_000);
    expect(store.stats()).toMatchObject({ entries: 1, bytes: 93 });
  });

  it('does not store a value larger than maxBytes, and drops the value it would have replaced', async () => {
    const store = open({ maxEntries: 100, maxBytes: 100, policy: 'lru' });
    await store.set('small', Buffer.alloc(10), 10_000);
    await store.set('k', Buffer.alloc(10), 10_000);
    await store.set('k', Buffer.alloc(100), 10_000);
    expect(await store.get('k')).toBeUndefined();
    expect(await store.get('small')).toBeDefined();
    expect(store.stats()).toEqual({ entries: 1, bytes: 15, evictions: 0 });
  });

  it('stores nothing when maxEntries is 0', async () => {
    const store = open({ maxEntries: 0, maxBytes: MB, policy: 'lru' });
    await store.set('k', v('v'), 10_000);
    expect(await store.get('k')).toBeUndefined();
    expect(store.stats()).toEqual({ entries: 0, bytes: 0, evictions: 0 });
  });

  it('sweeps expired entries on a timer, without reads', async () => {
    const store = open({ maxEntries: 10_000, maxBytes: 10 * MB, policy: 'lru', sweepIntervalMs: 20 });
    for (let i = 0; i < 2000; i++) await store.set(`short:${i}`, Buffer.alloc(100), 50 + (i % 50));
    for (let i = 0; i < 10; i++) await store.set(`long:${i}`, Buffer.alloc(100), 60_000);
    expect(store.stats().entries).toBe(2010);
    await pollUntil(() => store.stats().entries === 10, 2000);
    expect(store.stats()).toEqual({ entries: 10, bytes: 10 * 106, evictions: 0 });
  });

  it('gives the remaining TTL with the value', async () => {
    const store = open({ maxEntries: 10, maxBytes: MB, policy: 'lru' });
    await store.set('k', v('v'), 5000);
    const hit = await store.getWithTtl('k');
    expect(hit?.value).toEqual(v('v'));
    expect(hit?.ttlMs).toBeGreaterThan(4900);
    expect(hit?.ttlMs).toBeLessThanOrEqual(5000);
    expect(await store.getWithTtl('missing')).toBeUndefined();
  });

  describe.each(POLICIES)('under 100k inserts of ~1 KB (%s)', (policy) => {
    it('holds its bounds, evicts in O(1) and retains no more memory than it should', async () => {
      const before = await retainedBytes();
      const store = open({ maxEntries: 10_000, maxBytes: 5 * MB, policy });
      const body = 'x'.repeat(1000);
      // Reads give LFU many distinct counts: an O(n) victim search would show here.
      const started = performance.now();
      for (let i = 0; i < 100_000; i++) {
        // Buffer.from(string) of this size is a slice of a shared 8 KB pool slab.
        await store.set(`llm:v1:exact:tenant${i % 7}:${i}`, Buffer.from(`${i}:${body}`), 60_000);
        if (i % 3 === 0) await store.get(`llm:v1:exact:tenant${(i - 30) % 7}:${i - 30}`);
        if (i % 1000 === 999) {
          const { entries = 0, bytes = 0 } = store.stats();
          expect(entries).toBeLessThanOrEqual(10_000);
          expect(bytes).toBeLessThanOrEqual(5 * MB);
        }
      }
      const elapsedMs = performance.now() - started;
      const growth = (await retainedBytes()) - before;
      const stats = store.stats();
      expect(stats.bytes).toBeLessThanOrEqual(5 * MB);
      expect(stats.entries).toBeGreaterThan(4000);
      expect(stats.evictions).toBe(100_000 - (stats.entries ?? 0));
      // ~7.5 MB measured: 5 MB of values plus entry overhead. Keeping pool slices instead of copies shows
      // up here as ~26 MB under LFU, whose survivors are scattered over many slabs.
      expect(growth).toBeLessThan(20 * MB);
      expect(elapsedMs).toBeLessThan(5000);
    });
  });
});
