import { embedLocalHash, localHashDimension, tokenizeWords } from './local-hash.embedder.js';

const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i], 0);

describe('local hash embedder', () => {
  it('is deterministic and L2-normalised', () => {
    const a = embedLocalHash('The quick brown fox', 384);
    const b = embedLocalHash('The quick brown fox', 384);
    expect(a).toEqual(b);
    expect(a).toHaveLength(384);
    expect(Math.sqrt(dot(a, a))).toBeCloseTo(1, 10);
  });

  it('scores lexically similar texts above unrelated ones', () => {
    const q = embedLocalHash('how do I reset my password', 384);
    const near = embedLocalHash('how can I reset the password', 384);
    const far = embedLocalHash('quarterly revenue grew in europe', 384);
    expect(dot(q, near)).toBeGreaterThan(0.5);
    expect(dot(q, near)).toBeGreaterThan(dot(q, far) + 0.3);
  });

  it('gives the zero vector for text without words', () => {
    expect(embedLocalHash('  ... !!', 16).every((v) => v === 0)).toBe(true);
  });

  it('parses model names within bounds', () => {
    expect(localHashDimension('hash-384')).toBe(384);
    expect(localHashDimension('hash-4')).toBeUndefined();
    expect(localHashDimension('hash-99999')).toBeUndefined();
    expect(localHashDimension('minilm')).toBeUndefined();
  });

  it('tokenizes unicode words case-insensitively', () => {
    expect(tokenizeWords('Grüße, WORLD-42!')).toEqual(['grüße', 'world', '42']);
  });
});
