import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Document collections, their documents and the uploads waiting to be processed. Chunks live in one
 * table per embedding dimension (`document_chunks_d<dim>`, a `vector(<dim>)` column with an HNSW
 * cosine index), created on first use by the vector module's ChunkStore, because a vector column's
 * dimension is part of its type and each collection declares its own.
 *
 * - `documents.content_hash` is the sha256 of the uploaded bytes (a JSON text: its UTF-8 bytes), so a
 *   duplicate is recognised at upload time, before the background extraction has run.
 * - `document_blobs` keeps an upload until it has been processed (or has failed), so a restart can
 *   resume a document left `pending` or `processing`.
 */
export class Documents1764400000000 implements MigrationInterface {
  name = 'Documents1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE collections (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant varchar(64) NOT NULL,
        name varchar(128) NOT NULL,
        embedding_model varchar(200) NOT NULL,
        dimension integer NOT NULL CHECK (dimension BETWEEN 1 AND 16000),
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (tenant, name)
      )`);
    await q.query(`
      CREATE TABLE documents (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        collection_id uuid NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
        tenant varchar(64) NOT NULL,
        source_name varchar(500),
        mime varchar(100) NOT NULL,
        content_hash char(64) NOT NULL,
        metadata jsonb,
        status text NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'processing', 'processed', 'failed')),
        error text,
        chunk_count integer NOT NULL DEFAULT 0,
        embedding_model varchar(200) NOT NULL,
        dimension integer NOT NULL,
        bytes integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (collection_id, content_hash)
      )`);
    await q.query(
      'CREATE INDEX documents_collection_created ON documents (collection_id, created_at DESC, id DESC)',
    );
    // What a boot resumes: small, because processed documents leave it.
    await q.query(
      "CREATE INDEX documents_unfinished ON documents (created_at) WHERE status IN ('pending', 'processing')",
    );
    await q.query(`
      CREATE TABLE document_blobs (
        document_id uuid PRIMARY KEY REFERENCES documents (id) ON DELETE CASCADE,
        content bytea NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    const tables = (await q.query(
      "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'document\\_chunks\\_d%'",
    )) as Array<{ table_name: string }>;
    for (const { table_name } of tables) {
      if (/^document_chunks_d\d+$/.test(table_name)) await q.query(`DROP TABLE IF EXISTS ${table_name}`);
    }
    await q.query('DROP TABLE IF EXISTS document_blobs');
    await q.query('DROP TABLE IF EXISTS documents');
    await q.query('DROP TABLE IF EXISTS collections');
  }
}
