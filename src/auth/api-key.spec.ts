import { extractApiKey } from './api-key.js';

describe('api key', () => {
  it('reads a Bearer token or x-api-key', () => {
    expect(extractApiKey({ authorization: 'Bearer abc.def' })).toBe('abc.def');
    expect(extractApiKey({ authorization: 'bearer   abc ' })).toBe('abc');
    expect(extractApiKey({ 'x-api-key': 'k1' })).toBe('k1');
    expect(extractApiKey({ authorization: 'Basic Zm9vOmJhcg==' })).toBeUndefined();
    expect(extractApiKey({})).toBeUndefined();
  });
});
