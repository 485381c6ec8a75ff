import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CacheStore } from '../../src/cache/cache-store.port.js';

export interface ContractSubject {
  store: CacheStore;
  /** Closes the store and removes whatever it left in shared services. */
  dispose(): Promise<void>;
}

const TENANT_KEYS = [
  'llm:v1:exact:tenantA:openai/gpt-4o-mini:1f3a',
  'llm:v1:exact:tenantA:anthropic/claude-sonnet-4:9c2e',
  'llm:v1:exact:tenantAB:openai/gpt-4o-mini:77aa',
  'llm:v1:exact:tenantB:openai/gpt-4o-mini:5d10',
  'llm:v1:exact:tenantB:openai/gpt-4o:0b4c',
  'llm:v1:semantic:tenantA:openai/gpt-4o-mini:e0e0',
];

async function presentKeys(store: CacheStore, keys: readonly string[]): Promise<string[]> {
  const present: string[] = [];
  for (const key of keys) if ((await store.get(key)) !== undefined) present.push(key);
  return present;
}

/**
 * The behaviour every `CacheStore` shares (STYLE §8). `create` gives a fresh, empty store per test, with
 * room for at least 3000 entries of a few bytes and one of 1 MB.
 */
export function describeCacheStoreContract(name: string, create: () => Promise<ContractSubject>): void {
  describe(`${name}: CacheStore contract`, () => {
    let subject: ContractSubject;
    let store: CacheStore;

    beforeEach(async () => {
      subject = await create();
      store = subject.store;
    });
    afterEach(async () => {
      await subject.dispose();
    });

    it('round-trips Buffers byte for byte, including bytes that are not UTF-8', async () => {
      const binary = Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x80, 0xed, 0xa0, 0x80, 0x0a, 0x0d]);
      const large = randomBytes(1024 * 1024);
      await store.set('bin', binary, 10_000);
      await store.set('large', large, 10_000);
      await store.set('empty', Buffer.alloc(0), 10_000);
      expect(await store.get('bin')).toEqual(binary);
      expect((await store.get('large'))?.equals(large)).toBe(true);
      expect(await store.get('empty')).toEqual(Buffer.alloc(0));
    });

    it('misses unknown keys, and delete says whether the key existed', async () => {
      expect(await store.get('nope')).toBeUndefined();
      await store.set('k', Buffer.from('v'), 10_000);
      expect(await store.delete('k')).toBe(true);
      expect(await store.get('k')).toBeUndefined();
      expect(await store.delete('k')).toBe(false);
    });

    it('does not keep a reference to the caller’s buffer', async () => {
      const value = Buffer.from('original');
      await store.set('k', value, 10_000);
      value.write('mutated!');
      expect((await store.get('k'))?.toString()).toBe('original');
    });

    it('expires entries after their TTL', async () => {
      await store.set('short', Buffer.from('a'), 80);
      await store.set('long', Buffer.from('b'), 10_000);
      expect(await store.get('short')).toEqual(Buffer.from('a'));
      await sleep(200);
      expect(await store.get('short')).toBeUndefined();
      expect(await store.delete('short')).toBe(false);
      expect(await store.get('long')).toEqual(Buffer.from('b'));
    });

    it('overwrites the value and the TTL', async () => {
      await store.set('k', Buffer.from('first'), 80);
      await store.set('k', Buffer.from('second'), 10_000);
      expect(await store.get('k')).toEqual(Buffer.from('second'));
      await sleep(200);
      expect(await store.get('k')).toEqual(Buffer.from('second'));
      await store.set('k', Buffer.from('third'), 80);
      await sleep(200);
      expect(await store.get('k')).toBeUndefined();
    });

    it('stores nothing for a TTL that is already over, and drops the old value', async () => {
      await store.set('k', Buffer.from('v'), 10_000);
      await store.set('k', Buffer.from('w'), 0);
      expect(await store.get('k')).toBeUndefined();
      await store.set('j', Buffer.from('v'), -5);
      expect(await store.get('j')).toBeUndefined();
    });

    it('purges by tenant and by model glob exactly the matching keys, with `:` and `/` in keys', async () => {
      for (const key of TENANT_KEYS) await store.set(key, Buffer.from(key), 10_000);
      expect(await presentKeys(store, TENANT_KEYS)).toEqual(TENANT_KEYS);

      expect(await store.deleteMatching('llm:v1:exact:tenantA:*')).toBe(2);
      expect(await presentKeys(store, TENANT_KEYS)).toEqual([
        'llm:v1:exact:tenantAB:openai/gpt-4o-mini:77aa',
        'llm:v1:exact:tenantB:openai/gpt-4o-mini:5d10',
        'llm:v1:exact:tenantB:openai/gpt-4o:0b4c',
        'llm:v1:semantic:tenantA:openai/gpt-4o-mini:e0e0',
      ]);

      expect(await store.deleteMatching('llm:v1:exact:*:openai/gpt-4o-mini:*')).toBe(2);
      expect(await presentKeys(store, TENANT_KEYS)).toEqual([
        'llm:v1:exact:tenantB:openai/gpt-4o:0b4c',
        'llm:v1:semantic:tenantA:openai/gpt-4o-mini:e0e0',
      ]);
      expect(await store.deleteMatching('llm:v1:exact:tenantC:*')).toBe(0);
    });

    it('treats everything but `*` in a glob literally', async () => {
      const keys = [
        'a.b+c(d)|e{1}$^',
        'aXb+c(d)|e{1}$^',
        'back\\slash:x',
        'backslash:x',
        'dot.star',
        'dotXstar',
      ];
      for (const key of keys) await store.set(key, Buffer.from('v'), 10_000);
      expect(await store.deleteMatching('a.b+c(d)|e{1}$^')).toBe(1);
      expect(await store.deleteMatching('back\\*')).toBe(1);
      expect(await store.deleteMatching('dot.*')).toBe(1);
      expect(await presentKeys(store, keys)).toEqual(['aXb+c(d)|e{1}$^', 'backslash:x', 'dotXstar']);
    });

    it('does not count expired entries as purged', async () => {
      await store.set('p:gone', Buffer.from('v'), 50);
      await store.set('p:here', Buffer.from('v'), 10_000);
      await sleep(150);
      expect(await store.deleteMatching('p:*')).toBe(1);
    });

    it('purges more keys than one scan page holds', async () => {
      const keys = Array.from({ length: 2500 }, (_, i) => `bulk:${i % 2 === 0 ? 'even' : 'odd'}:${i}`);
      await Promise.all(keys.map((key) => store.set(key, Buffer.from('v'), 10_000)));
      expect(await store.deleteMatching('bulk:even:*')).toBe(1250);
      expect(await store.get('bulk:even:0')).toBeUndefined();
      expect(await store.get('bulk:odd:1')).toEqual(Buffer.from('v'));
      expect(await store.deleteMatching('bulk:*')).toBe(1250);
    });
  });
}
