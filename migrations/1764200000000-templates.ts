import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Prompt templates: one row per version, immutable once written (a trigger refuses UPDATE). The unique
 * index on (tenant, name, version DESC) both keeps version numbers unique per template and serves the
 * latest-version lookup and the latest-per-name listing (DISTINCT ON in index order).
 */
export class Templates1764200000000 implements MigrationInterface {
  name = 'Templates1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE prompt_templates (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant text NOT NULL,
        name varchar(128) NOT NULL,
        version integer NOT NULL CHECK (version >= 1),
        content text NOT NULL,
        variables jsonb NOT NULL,
        description text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      'CREATE UNIQUE INDEX prompt_templates_tenant_name_version ON prompt_templates (tenant, name, version DESC)',
    );
    await q.query(`
      CREATE FUNCTION prompt_templates_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'prompt template versions are immutable';
      END
      $$`);
    await q.query(`
      CREATE TRIGGER prompt_templates_no_update BEFORE UPDATE ON prompt_templates
      FOR EACH ROW EXECUTE FUNCTION prompt_templates_immutable()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS prompt_templates');
    await q.query('DROP FUNCTION IF EXISTS prompt_templates_immutable()');
  }
}
