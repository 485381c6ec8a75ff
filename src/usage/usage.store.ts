import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { UsageRecord, UsageRow } from './usage-record.js';

const COLUMNS = [
  'created_at',
  'request_id',
  'key_id',
  'endpoint',
  'model',
  'provider',
  'target_model',
  'prompt_tokens',
  'completion_tokens',
  'cached_tokens',
  'cost_usd',
  'latency_ms',
  'ttft_ms',
  'status',
  'cache',
  'stream',
] as const;

function values(r: UsageRecord): unknown[] {
  return [
    r.at,
    r.requestId,
    r.keyId ?? null,
    r.endpoint,
    r.model,
    r.provider ?? null,
    r.targetModel ?? null,
    r.promptTokens,
    r.completionTokens,
    r.cachedTokens,
    r.costUsd,
    Math.round(r.latencyMs),
    r.ttftMs === undefined ? null : Math.round(r.ttftMs),
    r.status,
    r.cache,
    r.stream,
  ];
}

/** The usage ledger in the database: multi-row inserts, and the aggregates the API and budgets read. */
@Injectable()
export class UsageStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** One INSERT for the whole batch (callers keep batches under PostgreSQL's 65,535 parameters). */
  async insert(records: readonly UsageRecord[]): Promise<void> {
    if (records.length === 0) return;
    const params: unknown[] = [];
    const rows = records.map((r) => {
      const start = params.length;
      params.push(...values(r));
      return `(${COLUMNS.map((_, i) => `$${start + i + 1}`).join(', ')})`;
    });
    await this.db.query(
      `INSERT INTO usage_records (${COLUMNS.join(', ')}) VALUES ${rows.join(', ')}`,
      params,
    );
  }

  /** USD spent by a key since `since` (a budget's day start). */
  async spentSince(keyId: string, since: Date): Promise<number> {
    const rows: Array<{ spent: string | null }> = await this.db.query(
      'SELECT sum(cost_usd) AS spent FROM usage_records WHERE key_id = $1 AND created_at >= $2',
      [keyId, since],
    );
    return Number(rows[0]?.spent ?? 0);
  }

  /** Per UTC day and requested model, between `from` (inclusive) and `to` (exclusive). */
  async aggregate(keyId: string, from: Date, to: Date): Promise<UsageRow[]> {
    const rows: Array<Record<string, string | number>> = await this.db.query(
      `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, model,
              count(*) AS requests, sum(prompt_tokens) AS prompt_tokens,
              sum(completion_tokens) AS completion_tokens, sum(cached_tokens) AS cached_tokens,
              sum(cost_usd) AS cost_usd, count(*) FILTER (WHERE status >= 400) AS errors
         FROM usage_records
        WHERE key_id = $1 AND created_at >= $2 AND created_at < $3
        GROUP BY 1, 2 ORDER BY 1, 2`,
      [keyId, from, to],
    );
    return rows.map((r) => ({
      day: String(r.day),
      model: String(r.model),
      requests: Number(r.requests),
      prompt_tokens: Number(r.prompt_tokens),
      completion_tokens: Number(r.completion_tokens),
      cached_tokens: Number(r.cached_tokens),
      cost_usd: Number(r.cost_usd),
      errors: Number(r.errors),
    }));
  }
}
