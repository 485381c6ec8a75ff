import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../../common/logging/logger.js';

export interface SemanticEntry {
  /** Hash of everything but the question that decides the answer (tenant, target, history, settings). */
  scope: string;
  tenant: string;
  target: string;
  /** The exact-cache key holding the answer. */
  cacheKey: string;
  /** The question as asked, for the look-alike guards. */
  question: string;
  embedding: readonly number[];
  ttlMs: number;
}

export interface SemanticCandidate {
  cacheKey: string;
  question: string;
  /** Cosine similarity, 0..1. */
  score: number;
}

const MAX_DIMENSIONS = 4096;
const SWEEP_INTERVAL_MS = 60_000;

function vectorLiteral(v: readonly number[]): string {
  return `[${v.join(',')}]`;
}

/**
 * Questions of cached answers, by embedding, in PostgreSQL with pgvector (the same database every
 * instance uses, so the index is shared). One table per embedding dimension, created on first use
 * with an HNSW cosine index; lookups are confined to one scope first, so a hit can only come from a
 * question asked with the same tenant, model, system prompt, history and settings.
 */
@Injectable()
export class SemanticIndex implements OnModuleInit, OnModuleDestroy {
  private sweeper?: NodeJS.Timeout;
  private readonly ready = new Map<number, Promise<string>>();

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(ROOT_LOGGER) private readonly log: Logger,
  ) {}

  onModuleInit(): void {
    this.sweeper = setInterval(() => {
      this.sweep().catch((err: unknown) =>
        this.log.warn(
          { err: err instanceof Error ? err.message : String(err) },
          'semantic cache sweep failed',
        ),
      );
    }, SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  async add(e: SemanticEntry): Promise<void> {
    const table = await this.table(e.embedding.length);
    await this.db.query(
      `INSERT INTO ${table} (scope, tenant, target, cache_key, question, embedding, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))
       ON CONFLICT (cache_key) DO UPDATE SET embedding = EXCLUDED.embedding, question = EXCLUDED.question,
         expires_at = EXCLUDED.expires_at`,
      [e.scope, e.tenant, e.target, e.cacheKey, e.question, vectorLiteral(e.embedding), e.ttlMs / 1000],
    );
  }

  /** The nearest live questions in `scope` with similarity ≥ `threshold`, best first. */
  async search(
    scope: string,
    embedding: readonly number[],
    threshold: number,
    limit = 3,
  ): Promise<SemanticCandidate[]> {
    const table = await this.table(embedding.length);
    const rows: Array<{ cache_key: string; question: string; distance: number }> = await this.db.query(
      `SELECT cache_key, question, embedding <=> $2 AS distance FROM ${table}
        WHERE scope = $1 AND expires_at > now()
        ORDER BY embedding <=> $2 LIMIT $3`,
      [scope, vectorLiteral(embedding), limit],
    );
    return rows
      .map((r) => ({ cacheKey: r.cache_key, question: r.question, score: 1 - Number(r.distance) }))
      .filter((c) => c.score >= threshold);
  }

  /** Drops entries of a tenant and/or target (undefined = all) from every dimension's table. */
  async purge(tenant?: string, target?: string): Promise<number> {
    let deleted = 0;
    for (const table of await this.tables()) {
      const res: [unknown[], number] = await this.db.query(
        `DELETE FROM ${table} WHERE ($1::text IS NULL OR tenant = $1) AND ($2::text IS NULL OR target = $2)`,
        [tenant ?? null, target ?? null],
      );
      deleted += res[1];
    }
    return deleted;
  }

  /** Deletes expired rows; returns how many. */
  async sweep(): Promise<number> {
    let deleted = 0;
    for (const table of await this.tables()) {
      const res: [unknown[], number] = await this.db.query(`DELETE FROM ${table} WHERE expires_at <= now()`);
      deleted += res[1];
    }
    return deleted;
  }

  /** Every dimension's table, including those created by earlier runs or other instances. */
  private async tables(): Promise<string[]> {
    const rows: Array<{ table_name: string }> = await this.db.query(
      "SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'semantic\\_cache\\_d%'",
    );
    return rows.map((r) => r.table_name).filter((t) => /^semantic_cache_d\d+$/.test(t));
  }

  private table(dimensions: number): Promise<string> {
    if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > MAX_DIMENSIONS) {
      throw new RangeError(`embedding dimension ${dimensions} out of range`);
    }
    let pending = this.ready.get(dimensions);
    if (!pending) {
      pending = this.create(dimensions);
      this.ready.set(dimensions, pending);
      pending.catch(() => this.ready.delete(dimensions));
    }
    return pending;
  }

  /** The dimension is part of the column type, so each embedder's dimension gets its own table. */
  private async create(dimensions: number): Promise<string> {
    const table = `semantic_cache_d${dimensions}`;
    await this.db.transaction(async (m) => {
      // Serialises the creation across instances starting at once.
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [table]);
      await m.query(`CREATE TABLE IF NOT EXISTS ${table} (
        id bigserial PRIMARY KEY,
        scope char(64) NOT NULL,
        tenant varchar(64) NOT NULL,
        target varchar(200) NOT NULL,
        cache_key text NOT NULL UNIQUE,
        question text NOT NULL,
        embedding vector(${dimensions}) NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
      await m.query(`CREATE INDEX IF NOT EXISTS ${table}_scope ON ${table} (scope)`);
      await m.query(
        `CREATE INDEX IF NOT EXISTS ${table}_hnsw ON ${table} USING hnsw (embedding vector_cosine_ops)`,
      );
    });
    this.log.info({ table }, 'semantic cache index ready');
    return table;
  }
}
