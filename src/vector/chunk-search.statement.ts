import { distanceOrder } from './chunk-table.js';

export interface ChunkQuery {
  collectionId: string;
  dimension: number;
  embedding: readonly number[];
  /** Already bounded (1..100) by the caller. */
  topK: number;
  minScore?: number;
  /** Metadata containment (`metadata @> filter`). */
  filter?: Record<string, unknown>;
}

/** A search as SQL, with the transaction-local settings it runs under. */
export interface SearchStatement {
  sql: string;
  params: unknown[];
  /** `[name, value]` pairs for `set_config(name, value, true)` (SET LOCAL). */
  settings: Array<[string, string]>;
}

/** Without iterative scans (pgvector < 0.8), filtered searches fetch this many times top_k first. */
const OVERFETCH_FACTOR = 10;
const OVERFETCH_MAX = 1000;

export function vectorLiteral(v: readonly number[]): string {
  return `[${v.join(',')}]`;
}

/**
 * The one search statement: a bounded nearest-neighbour scan of the dimension's table
 * (`ORDER BY distance LIMIT n`, which the HNSW index serves), confined to one collection and an
 * optional metadata filter, then joined to its documents. With pgvector ≥ 0.8 the scan is iterative
 * (`relaxed_order`): the index keeps producing candidates until `n` pass the filters instead of
 * stopping after ef_search of them, and the outer ORDER BY restores the exact order.
 */
export function searchStatement(o: {
  table: string;
  query: ChunkQuery;
  iterative: boolean;
  efSearch: number;
}): SearchStatement {
  const q = o.query;
  const params: unknown[] = [vectorLiteral(q.embedding), q.collectionId];
  let where = 'collection_id = $2';
  if (q.filter && Object.keys(q.filter).length > 0) {
    params.push(JSON.stringify(q.filter));
    where += ` AND metadata @> $${params.length}::jsonb`;
  }
  const fetch = o.iterative ? q.topK : Math.min(OVERFETCH_MAX, q.topK * OVERFETCH_FACTOR);
  params.push(fetch);
  const limitParam = `$${params.length}`;
  params.push(q.topK);
  const topKParam = `$${params.length}`;
  params.push(q.minScore === undefined ? 2 : 1 - q.minScore);
  const maxDistanceParam = `$${params.length}`;
  const settings: Array<[string, string]> = [
    ['hnsw.ef_search', String(Math.max(o.efSearch, o.iterative ? 0 : fetch))],
    // Compiling these plans costs ~100 ms and saves nothing: the distance work is in pgvector's C.
    ['jit', 'off'],
  ];
  if (o.iterative) settings.push(['hnsw.iterative_scan', 'relaxed_order']);
  // MATERIALIZED keeps the index scan in the inner query, whatever the join does.
  const sql = `WITH hits AS MATERIALIZED (
      SELECT chunk_id, document_id, text, metadata, position, heading_path, token_count,
             embedding <=> $1::vector AS distance
        FROM ${o.table}
       WHERE ${where}
       ORDER BY ${distanceOrder(q.dimension, '$1')}
       LIMIT ${limitParam}
    )
    SELECT h.*, d.source_name
      FROM hits h JOIN documents d ON d.id = h.document_id
     WHERE h.distance <= ${maxDistanceParam}
     ORDER BY h.distance, h.chunk_id
     LIMIT ${topKParam}`;
  return { sql, params, settings };
}
