import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { chunkTableName, chunkTableStatements, distanceOrder, MAX_DIMENSION } from './chunk-table.js';

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

export interface ChunkQuery {
  collectionId: string;
  dimension: number;
  embedding: readonly number[];
  /** Already bounded (1..100) by the caller. */
  topK: number;
  minScore?: number;
  /** Metadata containment (`metadata @> filter`). */
  filter?: Record<string, unknown>;
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
/** Without iterative scans (pgvector < 0.8), filtered searches fetch this many times top_k first. */
const OVERFETCH_FACTOR = 10;
const OVERFETCH_MAX = 1000;

export function vectorLiteral(v: readonly number[]): string {
  return `[${v.join(',')}]`;
}

/**
 * Chunks and their embeddings, in one table per dimension (`document_chunks_d<dim>`), created on
 * first use with an HNSW cosine index. Searches are bounded (`ORDER BY distance LIMIT k`) and run in
 * a transaction that sets `hnsw.ef_search` and, where pgvector supports it, iterative index scans,
 * so a collection or metadata filter still yields top_k rows when enough match.
 */
@Injectable()
export class ChunkStore {
  private readonly ready = new Map<number, Promise<string>>();
  private iterativeScans?: Promise<boolean>;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly log: Logger,
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
    const table = await this.table(q.dimension);
    const iterative = await this.supportsIterativeScans();
    const params: unknown[] = [vectorLiteral(q.embedding), q.collectionId];
    let where = 'collection_id = $2';
    if (q.filter && Object.keys(q.filter).length > 0) {
      params.push(JSON.stringify(q.filter));
      where += ` AND metadata @> $${params.length}::jsonb`;
    }
    // Without iterative scans the index stops after ef_search candidates, before the WHERE clause
    // runs: fetch more, then cut to top_k.
    const fetch = iterative ? q.topK : Math.min(OVERFETCH_MAX, q.topK * OVERFETCH_FACTOR);
    params.push(fetch);
    const limitParam = `$${params.length}`;
    params.push(q.topK);
    const topKParam = `$${params.length}`;
    params.push(q.minScore === undefined ? 2 : 1 - q.minScore);
    const maxDistanceParam = `$${params.length}`;
    const order = distanceOrder(q.dimension, '$1');
    const efSearch = Math.max(this.config.documents.efSearch, iterative ? 0 : fetch);
    const rows = await this.db.transaction(async (m): Promise<HitRow[]> => {
      await m.query("SELECT set_config('hnsw.ef_search', $1, true)", [String(efSearch)]);
      if (iterative) await m.query("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)");
      // MATERIALIZED keeps the index scan in the inner query; relaxed order is re-sorted outside.
      return m.query(
        `WITH hits AS MATERIALIZED (
           SELECT chunk_id, document_id, text, metadata, position, heading_path, token_count,
                  embedding <=> $1::vector AS distance
             FROM ${table}
            WHERE ${where}
            ORDER BY ${order}
            LIMIT ${limitParam}
         )
         SELECT h.*, d.source_name
           FROM hits h JOIN documents d ON d.id = h.document_id
          WHERE h.distance <= ${maxDistanceParam}
          ORDER BY h.distance, h.chunk_id
          LIMIT ${topKParam}`,
        params,
      );
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
