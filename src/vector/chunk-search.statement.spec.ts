import { searchStatement } from './chunk-search.statement.js';
import { chunkIndexStatement, chunkTableStatements, distanceOrder } from './chunk-table.js';

const query = { collectionId: 'c', dimension: 3, embedding: [0.1, 0.2, 0.3], topK: 5 };

describe('searchStatement', () => {
  it('with iterative scans: LIMIT top_k, ef_search as configured, relaxed order, JIT off', () => {
    const s = searchStatement({ table: 'document_chunks_d3', query, iterative: true, efSearch: 600 });
    expect(s.params).toEqual(['[0.1,0.2,0.3]', 'c', 5, 5, 2]);
    expect(s.settings).toEqual([
      ['hnsw.ef_search', '600'],
      ['jit', 'off'],
      ['hnsw.iterative_scan', 'relaxed_order'],
    ]);
    expect(s.sql).toContain('ORDER BY embedding <=> $1::vector');
    expect(s.sql).toContain('LIMIT $3');
    expect(s.sql).not.toContain('metadata @>');
  });

  it('without iterative scans: over-fetches (bounded) and raises ef_search to cover it', () => {
    const s = searchStatement({
      table: 'document_chunks_d3',
      query: { ...query, topK: 100, minScore: 0.25, filter: { lang: 'en' } },
      iterative: false,
      efSearch: 40,
    });
    expect(s.params).toEqual(['[0.1,0.2,0.3]', 'c', '{"lang":"en"}', 1000, 100, 0.75]);
    expect(s.sql).toContain('metadata @> $3::jsonb');
    expect(s.sql).toContain('LIMIT $4');
    expect(s.settings).toEqual([
      ['hnsw.ef_search', '1000'],
      ['jit', 'off'],
    ]);
  });

  it('an empty filter adds no condition', () => {
    const s = searchStatement({
      table: 't',
      query: { ...query, filter: {} },
      iterative: true,
      efSearch: 100,
    });
    expect(s.sql).not.toContain('metadata @>');
  });
});

describe('chunk tables', () => {
  it('index vector up to 2,000 dimensions, halfvec up to 4,000, nothing beyond', () => {
    expect(chunkIndexStatement(1536)).toContain(
      'USING hnsw (embedding vector_cosine_ops) WITH (m = 24, ef_construction = 100)',
    );
    expect(chunkIndexStatement(3072)).toContain('((embedding::halfvec(3072)) halfvec_cosine_ops)');
    expect(chunkIndexStatement(4096)).toBeUndefined();
    expect(chunkTableStatements(4096)).toHaveLength(2);
    expect(distanceOrder(1536, '$1')).toBe('embedding <=> $1::vector');
    expect(distanceOrder(3072, '$1')).toBe('embedding::halfvec(3072) <=> $1::halfvec(3072)');
    expect(distanceOrder(4096, '$1')).toBe('embedding <=> $1::vector');
  });
});
