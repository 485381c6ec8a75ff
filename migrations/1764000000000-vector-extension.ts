import type { MigrationInterface, QueryRunner } from 'typeorm';

/** pgvector first: every later migration with an embedding column depends on it. */
export class VectorExtension1764000000000 implements MigrationInterface {
  name = 'VectorExtension1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE EXTENSION IF NOT EXISTS vector');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP EXTENSION IF EXISTS vector');
  }
}
