import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { ResponseCacheService } from '../../cache/response-cache.service.js';
import { ROOT_LOGGER } from '../../common/logging/logger.js';
import { returnedRows } from '../../database/sql-result.js';

const SWEEP_INTERVAL_MS = 10 * 60_000;

/**
 * Remembers which cached answers were built on which documents, in the database every instance
 * shares, so deleting a document (or its collection) purges those answers from the cache everywhere.
 */
@Injectable()
export class ContextCacheRefs implements OnModuleInit, OnModuleDestroy {
  private sweeper?: NodeJS.Timeout;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly cache: ResponseCacheService,
    @Inject(ROOT_LOGGER) private readonly log: Logger,
  ) {}

  onModuleInit(): void {
    this.sweeper = setInterval(() => {
      this.db
        .query('DELETE FROM cache_document_refs WHERE expires_at < now()')
        .catch((err: unknown) => this.warn('sweeping cache document refs failed', err));
    }, SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  async record(documentIds: readonly string[], cacheKey: string, ttlMs: number): Promise<void> {
    if (documentIds.length === 0) return;
    await this.db.query(
      `INSERT INTO cache_document_refs (document_id, cache_key, expires_at)
       SELECT d, $2, now() + make_interval(secs => $3::double precision / 1000)
       FROM unnest($1::uuid[]) AS d
       ON CONFLICT (document_id, cache_key) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
      [documentIds, cacheKey, ttlMs],
    );
  }

  /** Deletes every cached answer built on one of `documentIds`; returns how many entries went. */
  async purge(documentIds: readonly string[]): Promise<number> {
    if (documentIds.length === 0) return 0;
    const result: unknown = await this.db.query(
      'DELETE FROM cache_document_refs WHERE document_id = ANY($1::uuid[]) RETURNING cache_key',
      [documentIds],
    );
    const rows = returnedRows<{ cache_key: string }>(result);
    const keys = [...new Set(rows.map((r) => r.cache_key))];
    let purged = 0;
    for (const key of keys) if (await this.cache.delete(key)) purged++;
    return purged;
  }

  private warn(msg: string, err: unknown): void {
    this.log.warn({ err: err instanceof Error ? err.message : String(err) }, msg);
  }
}
