import { GatewayError } from '../common/errors/gateway-error.js';
import {
  cacheGlob,
  canonicalJson,
  exactCacheKey,
  lastUserQuestion,
  parseCacheDirective,
  replayChunks,
  semanticScope,
} from './chat-cache.js';
import type { ChatRequest } from './core/chat.types.js';

const scope = { tenant: 'admin', target: 'openai/gpt-4o-mini' };
const req = (over: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'Hi?' },
  ],
  ...over,
});

describe('chat cache keys', () => {
  it('serialises objects with sorted keys and without undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: undefined, c: [2, { z: 1, y: 2 }] } })).toBe(
      '{"a":{"c":[2,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('gives one key per meaning: member order does not matter, every setting does', () => {
    const base = exactCacheKey(scope, req({ temperature: 0.5, seed: 1 }));
    expect(exactCacheKey(scope, req({ seed: 1, temperature: 0.5 }))).toBe(base);
    expect(base).toMatch(/^llm:v1:exact:admin:openai\/gpt-4o-mini:[0-9a-f]{64}$/);
    for (const other of [
      exactCacheKey(scope, req({ temperature: 0.6, seed: 1 })),
      exactCacheKey(scope, req({ temperature: 0.5, seed: 2 })),
      exactCacheKey({ ...scope, tenant: 'k1' }, req({ temperature: 0.5, seed: 1 })),
      exactCacheKey({ ...scope, templateVersion: 2 }, req({ temperature: 0.5, seed: 1 })),
      exactCacheKey(scope, req({ temperature: 0.5, seed: 1, messages: [{ role: 'user', content: 'Hi?' }] })),
    ]) {
      expect(other).not.toBe(base);
    }
    expect(exactCacheKey(scope, req({ temperature: 0.5, seed: 1, user: 'u1' }))).toBe(base);
  });

  it('scopes semantic lookups by everything but the last question', () => {
    const a = semanticScope(scope, req());
    expect(
      semanticScope(
        scope,
        req({
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'Other?' },
          ],
        }),
      ),
    ).toBe(a);
    expect(
      semanticScope(
        scope,
        req({
          messages: [
            { role: 'system', content: 'Be long.' },
            { role: 'user', content: 'Hi?' },
          ],
        }),
      ),
    ).not.toBe(a);
    expect(semanticScope(scope, req({ temperature: 1 }))).not.toBe(a);
  });

  it("finds the question only when the last message is the user's text", () => {
    expect(lastUserQuestion(req())).toBe('Hi?');
    expect(
      lastUserQuestion(
        req({
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: 'a' },
                { type: 'text', text: 'b' },
              ],
            },
          ],
        }),
      ),
    ).toBe('a\nb');
    expect(lastUserQuestion(req({ messages: [{ role: 'assistant', content: 'x' }] }))).toBeUndefined();
  });

  it('builds purge globs for tenant and model', () => {
    expect(cacheGlob()).toBe('llm:v1:exact:*:*:*');
    expect(cacheGlob('k1', 'openai/gpt-4o')).toBe('llm:v1:exact:k1:openai/gpt-4o:*');
  });
});

describe('cache directives and replay', () => {
  it('reads the mode, ttl, threshold and Cache-Control, refusing bad values', () => {
    expect(parseCacheDirective(undefined, 'exact', 'no-cache, no-store')).toEqual({
      mode: 'exact',
      ttlSeconds: undefined,
      threshold: undefined,
      noLookup: true,
      noStore: true,
    });
    expect(
      parseCacheDirective({ mode: 'semantic', ttl: 60, threshold: 0.9 }, 'off', undefined),
    ).toMatchObject({
      mode: 'semantic',
      ttlSeconds: 60,
      threshold: 0.9,
      noLookup: false,
    });
    for (const bad of [{ mode: 'x' }, { ttl: 0 }, { ttl: 1.5 }, { threshold: 2 }]) {
      expect(() => parseCacheDirective(bad, 'exact', undefined)).toThrow(GatewayError);
    }
  });

  it('splits text into several chunks that join back exactly', () => {
    const text = 'The capital of France is Paris, a city on the Seine with a long history.';
    const chunks = replayChunks(text);
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.join('')).toBe(text);
    expect(replayChunks('')).toEqual(['']);
  });
});
