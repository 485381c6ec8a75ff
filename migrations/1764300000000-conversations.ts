import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Stored conversations and their messages. `last_seq` on the conversation is bumped under the
 * row lock of an UPDATE in the appending transaction, so concurrent appends serialise and every
 * message gets a unique, gap-free sequence number.
 */
export class Conversations1764300000000 implements MigrationInterface {
  name = 'Conversations1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE conversations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant varchar(64) NOT NULL,
        title varchar(500),
        system_prompt text,
        model varchar(200),
        metadata jsonb,
        last_seq integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE INDEX conversations_tenant_updated ON conversations (tenant, updated_at DESC, id)');
    await q.query(`
      CREATE TABLE conversation_messages (
        id bigserial PRIMARY KEY,
        conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        seq integer NOT NULL,
        role varchar(16) NOT NULL,
        content jsonb,
        name varchar(200),
        tool_calls jsonb,
        tool_call_id varchar(200),
        model varchar(200),
        target varchar(300),
        prompt_tokens integer,
        completion_tokens integer,
        cache varchar(16),
        finish_reason varchar(32),
        template jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (conversation_id, seq)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS conversation_messages');
    await q.query('DROP TABLE IF EXISTS conversations');
  }
}
