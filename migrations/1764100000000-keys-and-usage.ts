import type { MigrationInterface, QueryRunner } from 'typeorm';

/** API keys (stored hashed, found by prefix) and the per-request usage ledger. */
export class KeysAndUsage1764100000000 implements MigrationInterface {
  name = 'KeysAndUsage1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(200) NOT NULL,
        prefix varchar(32) NOT NULL UNIQUE,
        key_hash char(64) NOT NULL,
        scopes text[] NOT NULL,
        models text[],
        rpm integer,
        tpm integer,
        daily_budget_usd numeric(14, 6),
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE usage_records (
        id bigserial PRIMARY KEY,
        created_at timestamptz NOT NULL,
        request_id varchar(128) NOT NULL,
        key_id uuid,
        endpoint varchar(32) NOT NULL,
        model varchar(200) NOT NULL,
        provider varchar(32),
        target_model varchar(200),
        prompt_tokens integer NOT NULL,
        completion_tokens integer NOT NULL,
        cached_tokens integer NOT NULL,
        cost_usd numeric(16, 8) NOT NULL,
        latency_ms integer NOT NULL,
        ttft_ms integer,
        status smallint NOT NULL,
        cache varchar(16) NOT NULL,
        stream boolean NOT NULL
      )`);
    await q.query('CREATE INDEX usage_records_key_time ON usage_records (key_id, created_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS usage_records');
    await q.query('DROP TABLE IF EXISTS api_keys');
  }
}
