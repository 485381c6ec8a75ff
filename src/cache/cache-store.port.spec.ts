import { globToRegExp } from './cache-store.port.js';

describe('globToRegExp', () => {
  it('treats only * as a wildcard', () => {
    expect(globToRegExp('llm:v1:*').test('llm:v1:exact:abc')).toBe(true);
    expect(globToRegExp('a?b').test('ab')).toBe(false);
    expect(globToRegExp('a?b').test('a?b')).toBe(true);
    expect(globToRegExp('[x]*').test('[x]1')).toBe(true);
    expect(globToRegExp('[x]*').test('x1')).toBe(false);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
  });

  it('runs of * count as one, so a pattern of many stars stays cheap', () => {
    const re = globToRegExp('*'.repeat(1000) + 'z');
    const started = Date.now();
    expect(re.test('a'.repeat(50_000))).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
