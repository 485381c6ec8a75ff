import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import {
  type ChunkQuery,
  type SearchStatement,
  searchStatement,
  vectorLiteral,
} from './chunk-search.statement.js';

import { chunkTableName, chunkTableStatements, MAX_DIMENSION } from './chunk-table.js';
import { SearchSessions } from './search-sessions.js';

/** One chunk to store, in document order. */
export interface NewChunk {
  position: number;
  text: string;
  tokenCount: number;
  headingPath: string[];
  embedding: readonly number[];
}

/** What every chunk of one document shares. */
export interface ChunkOwner {
  documentId: string;
  collectionId: string;
  tenant: string;
  metadata: Record<string, unknown> | null;
  embeddingModel: string;
}

export interface ChunkHit {
  chunkId: string;
  documentId: string;
  text: string;
  /** 1 − cosine distance. */
  score: number;
  metadata: Record<string, unknown> | null;
  position: number;
  headingPath: string[];
  tokenCount: number;
  sourceName: string | null;
}

interface HitRow {
  chunk_id: string;
  document_id: string;
  text: string;
  metadata: Record<string, unknown> | null;
  position: number;
  heading_path: string[] | null;
  token_count: number;
  distance: number | string;
  source_name: string | null;
}

/** Rows per INSERT: 5 parameters each, far below PostgreSQL's 65,535 per statement. */
const INSERT_BATCH = 500;

/**
 * Chunks and their embeddings, in one table per dimension (`document_chunks_d<dim>`), created on
 * first use with an HNSW cosine index. Searches are bounded (`ORDER BY distance LIMIT k`) and run
 * with `hnsw.ef_search` set and, where pgvector supports it, iterative index scans, so a collection
 * or metadata filter still yields top_k rows when enough match: on SearchSessions' connections,
 * which start with those settings, else in a transaction that sets them.
 */
@Injectable()
export class ChunkStore {
  private readonly ready = new Map<number, Promise<string>>();
  private iterativeScans?: Promise<boolean>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly log: Logger,
    private readonly sessions: SearchSessions,
  ) {}

  /** The dimension's table, created (with its index) if this database has none yet. */
  table(dimension: number): Promise<string> {
    if (!Number.isInteger(dimension) || dimension < 1 || dimension > MAX_DIMENSION) {
      return Promise.reject(new RangeError(`embedding dimension ${dimension} out of range`));
    }
    let pending = this.ready.get(dimension);
    if (!pending) {
      pending = this.create(dimension);
      this.ready.set(dimension, pending);
      pending.catch(() => this.ready.delete(dimension));
    }
    return pending;
  }

  /**
   * Replaces a document's chunks inside the caller's transaction: whatever an interrupted run left
   * is deleted first, then the new rows go in with multi-row INSERTs.
   */
  async replace(
    m: EntityManager,
    dimension: number,
    owner: ChunkOwner,
    chunks: readonly NewChunk[],
  ): Promise<void> {
    const table = await this.table(dimension);
    await m.query(`DELETE FROM ${table} WHERE document_id = $1`, [owner.documentId]);
    const shared = [
      owner.documentId,
      owner.collectionId,
      owner.tenant,
      owner.metadata === null ? null : JSON.stringify(owner.metadata),
      owner.embeddingModel,
    ];
    for (let start = 0; start < chunks.length; start += INSERT_BATCH) {
      const batch = chunks.slice(start, start + INSERT_BATCH);
      const params: unknown[] = [...shared];
      const rows = batch.map((c) => {
        if (c.embedding.length !== dimension) {
          throw new RangeError(`chunk embedding has ${c.embedding.length} dimensions, expected ${dimension}`);
        }
        const p = params.push(c.position, c.text, c.tokenCount, c.headingPath, vectorLiteral(c.embedding));
        return `($1, $2, $3, $4::jsonb, $5, $${p - 4}, $${p - 3}, $${p - 2}, $${p - 1}::text[], $${p}::vector)`;
      });
      await m.query(
        `INSERT INTO ${table} (document_id, collection_id, tenant, metadata, embedding_model,
           position, text, token_count, heading_path, embedding)
         VALUES ${rows.join(', ')}`,
        params,
      );
    }
  }

  /** The nearest chunks of one collection, best first. */
  async search(q: ChunkQuery): Promise<ChunkHit[]> {
    const s = await this.statement(q);
    const sessions = this.sessions.poolFor(s.settings);
    const rows = sessions
      ? (await sessions.query<HitRow>(s.sql, s.params)).rows
      : await this.db.transaction(async (m): Promise<HitRow[]> => {
          await this.applySettings(m, s.settings);
          return m.query(s.sql, s.params);
        });
    return rows.map((r) => ({
      chunkId: r.chunk_id,
      documentId: r.document_id,
      text: r.text,
      score: 1 - Number(r.distance),
      metadata: r.metadata,
      position: r.position,
      headingPath: r.heading_path ?? [],
      tokenCount: r.token_count,
      sourceName: r.source_name,
    }));
  }

  /** The plan PostgreSQL picks for a search, as EXPLAIN prints it (for operators and tests). */
  async explain(q: ChunkQuery): Promise<string> {
    const s = await this.statement(q);
    const rows = await this.db.transaction(async (m): Promise<Array<{ 'QUERY PLAN': string }>> => {
      await this.applySettings(m, s.settings);
      return m.query(`EXPLAIN ${s.sql}`, s.params);
    });
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  }

  private async statement(q: ChunkQuery): Promise<SearchStatement> {
    return searchStatement({
      table: await this.table(q.dimension),
      query: q,
      iterative: await this.supportsIterativeScans(),
      efSearch: this.config.documents.efSearch,
    });
  }

  /** Transaction-local settings (`set_config(…, true)` is SET LOCAL with bind parameters). */
  private async applySettings(m: EntityManager, settings: ReadonlyArray<[string, string]>): Promise<void> {
    // One round trip for all of them.
    const calls = settings.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`);
    await m.query(`SELECT ${calls.join(', ')}`, settings.flat());
  }

  /** Whether the installed pgvector has `hnsw.iterative_scan` (0.8.0 and later). */
  supportsIterativeScans(): Promise<boolean> {
    if (!this.iterativeScans) {
      const check = this.db
        .query("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        .then((rows: Array<{ extversion: string }>) => {
          const [major = 0, minor = 0] = (rows[0]?.extversion ?? '0').split('.').map(Number);
          return major > 0 || minor >= 8;
        });
      this.iterativeScans = check;
      check.catch(() => (this.iterativeScans = undefined));
    }
    return this.iterativeScans;
  }

  private async create(dimension: number): Promise<string> {
    const table = chunkTableName(dimension);
    await this.db.transaction(async (m) => {
      // Serialises the creation across instances starting at once.
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [table]);
      for (const sql of chunkTableStatements(dimension)) await m.query(sql);
    });
    this.log.info({ table }, 'document chunk table ready');
    return table;
  }
}
