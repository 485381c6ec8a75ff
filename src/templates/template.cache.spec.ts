import { LruMap } from './lru-map.js';
import { parseTemplate } from './renderer/template-parser.js';
import { type CompiledTemplate, TemplateCache } from './template.cache.js';
import { compileVariablesSchema } from './variables-schema.js';

function compiled(id: string, tenant: string, name: string, version = 1): CompiledTemplate {
  return {
    id,
    tenant,
    name,
    version,
    weight: 10,
    template: parseTemplate('x'),
    variables: compileVariablesSchema({ type: 'object' }),
  };
}

describe('LruMap', () => {
  it('evicts the least recently used entry past its entry bound', () => {
    const lru = new LruMap<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1);
    lru.set('c', 3);
    expect([lru.get('a'), lru.get('b'), lru.get('c')]).toEqual([1, undefined, 3]);
  });

  it('evicts past its weight bound and refuses an entry heavier than the whole budget', () => {
    const lru = new LruMap<string, string>(100, 10, (s) => s.length);
    lru.set('a', 'xxxx');
    lru.set('b', 'yyyy');
    lru.set('c', 'zzzz');
    expect([lru.size, lru.weight, lru.get('a')]).toEqual([2, 8, undefined]);
    lru.set('huge', 'w'.repeat(11));
    expect([lru.size, lru.get('huge')]).toEqual([2, undefined]);
    lru.set('b', 'y');
    expect(lru.weight).toBe(5);
    lru.deleteWhere((k) => k === 'c');
    expect([lru.size, lru.weight]).toEqual([1, 1]);
  });
});

describe('TemplateCache', () => {
  it('keeps name mappings until they expire', () => {
    const cache = new TemplateCache();
    cache.rememberRef('t', 'n', undefined, { id: 'r1', tenant: 't', version: 1 }, cache.generation, 1_000);
    expect(cache.ref('t', 'n', undefined, 999)).toEqual({ id: 'r1', tenant: 't', version: 1 });
    expect(cache.ref('t', 'n', undefined, 1_000)).toBeUndefined();
    expect(cache.stats()).toMatchObject({ refHits: 1, refMisses: 1, refs: 0 });
  });

  it('does not remember a mapping read while an invalidation happened', () => {
    const cache = new TemplateCache();
    const generation = cache.generation;
    cache.invalidate('t', 'other');
    cache.rememberRef(
      't',
      'n',
      undefined,
      { id: 'stale', tenant: 't', version: 1 },
      generation,
      Number.MAX_SAFE_INTEGER,
    );
    expect(cache.ref('t', 'n', undefined, 0)).toBeUndefined();
  });

  it("invalidates one template's mappings and compiled versions, not other tenants' or names'", () => {
    const cache = new TemplateCache();
    const g = cache.generation;
    for (const [tenant, name] of [
      ['t', 'n'],
      ['t', 'm'],
      ['u', 'n'],
    ]) {
      cache.rememberRef(tenant, name, undefined, { id: `${tenant}${name}`, tenant, version: 2 }, g, 10);
      cache.rememberRef(tenant, name, 1, { id: `${tenant}${name}1`, tenant, version: 1 }, g, 10);
      cache.rememberCompiled(compiled(`${tenant}${name}`, tenant, name));
    }
    cache.invalidate('t', 'n');
    expect(cache.ref('t', 'n', undefined, 0)).toBeUndefined();
    expect(cache.ref('t', 'n', 1, 0)).toBeUndefined();
    expect(cache.compiledOf('tn')).toBeUndefined();
    expect(cache.ref('t', 'm', undefined, 0)?.id).toBe('tm');
    expect(cache.ref('u', 'n', 1, 0)?.id).toBe('un1');
    expect(cache.compiledOf('un')).toBeDefined();

    cache.clearRefs();
    expect(cache.stats()).toMatchObject({ refs: 0, compiled: 2 });
  });

  it("drops other tenants' mappings to a shared template when the shared template changes", () => {
    const cache = new TemplateCache();
    const g = cache.generation;
    // Readers u and v resolve `n` to the shared row; w has its own `n`, and u reads shared `m` too.
    cache.rememberRef('u', 'n', undefined, { id: 's-n', tenant: 'shared', version: 3 }, g, 10);
    cache.rememberRef('v', 'n', 2, { id: 's-n2', tenant: 'shared', version: 2 }, g, 10);
    cache.rememberRef('w', 'n', undefined, { id: 'w-n', tenant: 'w', version: 1 }, g, 10);
    cache.rememberRef('u', 'm', undefined, { id: 's-m', tenant: 'shared', version: 1 }, g, 10);
    cache.invalidate('shared', 'n');
    expect(cache.ref('u', 'n', undefined, 0)).toBeUndefined();
    expect(cache.ref('v', 'n', 2, 0)).toBeUndefined();
    expect(cache.ref('w', 'n', undefined, 0)?.id).toBe('w-n');
    expect(cache.ref('u', 'm', undefined, 0)?.id).toBe('s-m');
  });
});
