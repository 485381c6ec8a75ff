import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which cached answers were built on which documents (retrieval-augmented chat), so deleting a
 * document purges them. Rows outlive their cache entries by at most one sweep.
 */
export class CacheDocumentRefs1764500000000 implements MigrationInterface {
  name = 'CacheDocumentRefs1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE cache_document_refs (
        document_id uuid NOT NULL,
        cache_key text NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (document_id, cache_key)
      )`);
    await q.query('CREATE INDEX cache_document_refs_expiry ON cache_document_refs (expires_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS cache_document_refs');
  }
}
