/**
 * The layout of a dimension's chunk table. Chunk tables are made at run time (a collection's
 * dimension is known only when its embedder is), so their DDL lives here rather than in a migration;
 * it is the same raw SQL a migration would hold, and idempotent.
 */

/** HNSW graph degree and build-time candidate list (pgvector's `m`, `ef_construction`); see README. */
export const HNSW_M = 24;
export const HNSW_EF_CONSTRUCTION = 100;

/** pgvector indexes `vector` up to 2,000 dimensions and `halfvec` up to 4,000. */
const VECTOR_INDEX_MAX = 2000;
const HALFVEC_INDEX_MAX = 4000;
/** pgvector's own limit for a `vector` column. */
export const MAX_DIMENSION = 16000;

export function chunkTableName(dimension: number): string {
  return `document_chunks_d${dimension}`;
}

/**
 * What a search orders by, matching the table's index: the vector itself up to 2,000 dimensions,
 * its half-precision cast up to 4,000 (an expression index), and beyond that an exact scan.
 */
export function distanceOrder(dimension: number, param: string): string {
  if (dimension > VECTOR_INDEX_MAX && dimension <= HALFVEC_INDEX_MAX) {
    return `embedding::halfvec(${dimension}) <=> ${param}::halfvec(${dimension})`;
  }
  return `embedding <=> ${param}::vector`;
}

/** The HNSW index statement, or undefined when the dimension is too large for one. */
export function chunkIndexStatement(dimension: number): string | undefined {
  const table = chunkTableName(dimension);
  const params = `WITH (m = ${HNSW_M}, ef_construction = ${HNSW_EF_CONSTRUCTION})`;
  if (dimension <= VECTOR_INDEX_MAX) {
    return `CREATE INDEX IF NOT EXISTS ${table}_hnsw ON ${table} USING hnsw (embedding vector_cosine_ops) ${params}`;
  }
  if (dimension <= HALFVEC_INDEX_MAX) {
    return `CREATE INDEX IF NOT EXISTS ${table}_hnsw ON ${table}
      USING hnsw ((embedding::halfvec(${dimension})) halfvec_cosine_ops) ${params}`;
  }
  return undefined;
}

export function chunkTableStatements(dimension: number): string[] {
  const table = chunkTableName(dimension);
  const index = chunkIndexStatement(dimension);
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (
      chunk_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      document_id uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
      collection_id uuid NOT NULL,
      tenant varchar(64) NOT NULL,
      position integer NOT NULL,
      text text NOT NULL,
      token_count integer NOT NULL,
      heading_path text[] NOT NULL DEFAULT '{}',
      metadata jsonb,
      embedding_model varchar(200) NOT NULL,
      embedding vector(${dimension}) NOT NULL,
      UNIQUE (document_id, position)
    )`,
    `CREATE INDEX IF NOT EXISTS ${table}_collection ON ${table} (collection_id)`,
    ...(index ? [index] : []),
  ];
}
