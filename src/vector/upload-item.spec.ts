import { GatewayError } from '../common/errors/gateway-error.js';
import { readSearchRequest } from './dto/search.dto.js';
import { isRejected, readJsonUpload } from './upload-item.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return err instanceof GatewayError ? `${err.code}:${err.param ?? ''}` : 'not a GatewayError';
  }
  return undefined;
};

describe('readJsonUpload', () => {
  it('reads one document', () => {
    const r = readJsonUpload(
      { text: 'héllo', metadata: { a: 1 }, source_name: 'a.md', mime: 'text/markdown' },
      100,
    );
    expect(r.batch).toBe(false);
    expect(r.entries[0]).toEqual({
      bytes: Buffer.from('héllo'),
      metadata: { a: 1 },
      sourceName: 'a.md',
      mime: 'text/markdown',
    });
  });

  it('refuses a bad single document as a whole', () => {
    expect(codeOf(() => readJsonUpload([], 100))).toBe('invalid_request_error:body');
    expect(codeOf(() => readJsonUpload({ text: 3 }, 100))).toBe('invalid_request_error:text');
    expect(codeOf(() => readJsonUpload({ text: ' \n ' }, 100))).toBe('invalid_request_error:text');
    expect(codeOf(() => readJsonUpload({ text: 'ok', metadata: 'x' }, 100))).toBe(
      'invalid_request_error:metadata',
    );
    expect(codeOf(() => readJsonUpload({ text: 'ok', metadata: { big: 'x'.repeat(17_000) } }, 100_000))).toBe(
      'invalid_request_error:metadata',
    );
    expect(codeOf(() => readJsonUpload({ text: 'é'.repeat(51) }, 100))).toBe('request_too_large:text');
  });

  it('bounds a batch to 1..100 and fails bad items one by one', () => {
    expect(codeOf(() => readJsonUpload({ documents: [] }, 100))).toBe('invalid_request_error:documents');
    const many = Array.from({ length: 101 }, () => ({ text: 'x' }));
    expect(codeOf(() => readJsonUpload({ documents: many }, 100))).toBe('invalid_request_error:documents');
    const r = readJsonUpload({ documents: [{ text: 'ok' }, 'nope', { text: 'fine', source_name: 7 }] }, 100);
    expect(r.batch).toBe(true);
    expect(r.entries.map((e) => (isRejected(e) ? e.error.param : 'ok'))).toEqual([
      'ok',
      'documents.1',
      'documents.2.source_name',
    ]);
  });
});

describe('readSearchRequest', () => {
  it('defaults top_k to 5 and keeps the filter exactly as sent', () => {
    const filter = JSON.parse('{"constructor": "x", "nested": {"a": [1]}}') as Record<string, unknown>;
    expect(readSearchRequest({ query: 'q', filter })).toEqual({
      query: 'q',
      topK: 5,
      minScore: undefined,
      filter,
    });
    expect(readSearchRequest({ query: 'q', top_k: 100, min_score: 0, filter: null })).toMatchObject({
      topK: 100,
      minScore: 0,
      filter: undefined,
    });
  });

  it('refuses bad fields', () => {
    expect(codeOf(() => readSearchRequest({ query: 'q'.repeat(8001) }))).toBe('invalid_request_error:query');
    expect(codeOf(() => readSearchRequest({ query: 'q', top_k: '5' }))).toBe('invalid_request_error:top_k');
    expect(codeOf(() => readSearchRequest({ query: 'q', min_score: -0.1 }))).toBe(
      'invalid_request_error:min_score',
    );
    expect(codeOf(() => readSearchRequest('q'))).toBe('invalid_request_error:body');
  });
});
