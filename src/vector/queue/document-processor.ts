import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { GatewayError } from '../../common/errors/gateway-error.js';
import { ROOT_LOGGER } from '../../common/logging/logger.js';
import { retryDelayMs, sleep } from '../../common/resilience/backoff.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { EmbeddingsService } from '../../llm/embeddings.service.js';
import { ChunkStore, type NewChunk } from '../chunk-store.js';
import { chunkDocument, type DocumentType, extractDocument } from '../ingest/index.js';
import { returnedRows } from '../../database/sql-result.js';
import { chunkTokenCounter } from './chunk-tokens.js';
import { EmbeddingBatcher } from './embedding-batcher.js';

/** A partly filled embedding batch waits this long for chunks of other documents. */
const COALESCE_WINDOW_MS = 10;
/** Retryable embedder failures (429, 503, timeouts) are tried this many times in all. */
const EMBED_ATTEMPTS = 3;
const EMBED_BACKOFF = { baseMs: 500, maxMs: 8_000, retryAfterCapMs: 30_000 };
const MAX_ERROR_CHARS = 500;

interface ClaimedDocument {
  id: string;
  collection_id: string;
  tenant: string;
  mime: string;
  metadata: Record<string, unknown> | null;
  embedding_model: string;
  dimension: number;
}

/** Why a document failed, in words safe to show its owner. */
function failureReason(err: unknown): string {
  const text =
    err instanceof GatewayError
      ? err.message
      : err instanceof Error
        ? `processing failed: ${err.message}`
        : 'processing failed';
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS - 1)}…` : text;
}

/** The text an embedder sees for a chunk: its headings first, so a chunk is found by its section too. */
function embeddingText(c: { text: string; headingPath: string[] }): string {
  return c.headingPath.length > 0 ? `${c.headingPath.join(' > ')}\n\n${c.text}` : c.text;
}

/**
 * Processes one document: extract → chunk → embed (coalesced batches) → store. The document is
 * claimed (`processing`) first; its chunks are written, its status set to `processed` and its stored
 * upload dropped in one transaction, so an interrupted run leaves no chunks behind and a resumed run
 * starts clean. Failures end `failed` with the reason; an abort (shutdown) leaves it `pending`.
 */
@Injectable()
export class DocumentProcessor {
  private readonly batcher: EmbeddingBatcher;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly chunks: ChunkStore,
    private readonly embeddings: EmbeddingsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly log: Logger,
  ) {
    this.batcher = new EmbeddingBatcher((model, texts, signal) => this.embedBatch(model, texts, signal), {
      batchSize: config.documents.embedBatchSize,
      concurrency: config.documents.embedConcurrency,
      windowMs: COALESCE_WINDOW_MS,
    });
  }

  async process(id: string, signal: AbortSignal): Promise<void> {
    const doc = await this.claim(id);
    if (!doc) return;
    const started = Date.now();
    let chunks: NewChunk[];
    try {
      const bytes = await this.upload(id);
      chunks = await this.prepare(doc, bytes, signal);
    } catch (err) {
      if (signal.aborted) await this.putBack(id);
      else await this.fail(id, err);
      return;
    }
    const stored = await this.complete(doc, chunks);
    if (stored) {
      this.log.info(
        { documentId: id, chunks: chunks.length, ms: Date.now() - started },
        'document processed',
      );
    }
  }

  private async prepare(doc: ClaimedDocument, bytes: Buffer, signal: AbortSignal): Promise<NewChunk[]> {
    const extracted = await extractDocument(bytes, doc.mime as DocumentType);
    const countTokens = await chunkTokenCounter(doc.embedding_model);
    const pieces = chunkDocument(extracted, {
      chunkTokens: this.config.documents.chunkTokens,
      overlapTokens: this.config.documents.chunkOverlapTokens,
      countTokens,
    });
    const texts = pieces.map(embeddingText);
    const vectors = await this.embedAccounted(doc, texts, countTokens, signal);
    return pieces.map((p, i) => {
      const embedding = vectors[i] ?? [];
      if (embedding.length !== doc.dimension) {
        throw new GatewayError(
          'upstream_error',
          `The embedder ${doc.embedding_model} returned ${embedding.length} dimensions; the collection has ${doc.dimension}.`,
        );
      }
      return { ...p, embedding };
    });
  }

  /** Embeds a document's chunks, booking the tokens (and their cost) to the document's owner. */
  private async embedAccounted(
    doc: ClaimedDocument,
    texts: string[],
    countTokens: (text: string) => number,
    signal: AbortSignal,
  ): Promise<number[][]> {
    const tokens = texts.reduce((n, text) => n + countTokens(text), 0);
    const record = await this.embeddings.openBackground(
      { keyId: doc.tenant === 'admin' ? undefined : doc.tenant, requestId: `ingest:${doc.id}` },
      doc.embedding_model,
      tokens,
    );
    try {
      const vectors = await this.batcher.embed(doc.embedding_model, texts, signal);
      record.succeed({ promptTokens: tokens, completionTokens: 0, totalTokens: tokens });
      return vectors;
    } catch (err) {
      record.fail(err);
      throw err;
    }
  }

  private async claim(id: string): Promise<ClaimedDocument | undefined> {
    const result: unknown = await this.db.query(
      `UPDATE documents SET status = 'processing', error = NULL, updated_at = now()
        WHERE id = $1 AND status IN ('pending', 'processing')
        RETURNING id, collection_id, tenant, mime, metadata, embedding_model, dimension`,
      [id],
    );
    return returnedRows<ClaimedDocument>(result)[0];
  }

  private async upload(id: string): Promise<Buffer> {
    const rows: Array<{ content: Buffer }> = await this.db.query(
      'SELECT content FROM document_blobs WHERE document_id = $1',
      [id],
    );
    const content = rows[0]?.content;
    if (!content)
      throw new GatewayError('internal_error', 'The stored upload is missing; upload the document again.');
    return content;
  }

  /** Stores the chunks and marks the document processed, unless it was deleted meanwhile. */
  private async complete(doc: ClaimedDocument, chunks: NewChunk[]): Promise<boolean> {
    await this.chunks.table(doc.dimension);
    return this.db.transaction(async (m) => {
      // Taking the row lock first makes a concurrent delete wait for this transaction, or win.
      const claimed = returnedRows(
        await m.query(
          `UPDATE documents SET status = 'processed', chunk_count = $2, error = NULL, updated_at = now()
            WHERE id = $1 AND status = 'processing' RETURNING id`,
          [doc.id, chunks.length],
        ),
      );
      if (claimed.length === 0) return false;
      await this.chunks.replace(
        m,
        doc.dimension,
        {
          documentId: doc.id,
          collectionId: doc.collection_id,
          tenant: doc.tenant,
          metadata: doc.metadata,
          embeddingModel: doc.embedding_model,
        },
        chunks,
      );
      await m.query('DELETE FROM document_blobs WHERE document_id = $1', [doc.id]);
      return true;
    });
  }

  private async fail(id: string, err: unknown): Promise<void> {
    const reason = failureReason(err);
    this.log.warn({ documentId: id, reason }, 'document failed');
    await this.db.transaction(async (m) => {
      await m.query(
        `UPDATE documents SET status = 'failed', error = $2, chunk_count = 0, updated_at = now()
          WHERE id = $1 AND status = 'processing'`,
        [id, reason],
      );
      await m.query('DELETE FROM document_blobs WHERE document_id = $1', [id]);
    });
  }

  /** Interrupted by shutdown: the next boot resumes it. */
  private async putBack(id: string): Promise<void> {
    await this.db.query(
      "UPDATE documents SET status = 'pending', updated_at = now() WHERE id = $1 AND status = 'processing'",
      [id],
    );
  }

  private async embedBatch(model: string, texts: string[], signal: AbortSignal): Promise<number[][]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return (await this.embeddings.embed(model, texts, undefined, signal)).vectors;
      } catch (err) {
        const retryable = err instanceof GatewayError && err.retryable && !signal.aborted;
        const delay =
          retryable && attempt + 1 < EMBED_ATTEMPTS
            ? retryDelayMs(attempt, EMBED_BACKOFF, err.retryAfterMs)
            : undefined;
        if (delay === undefined) throw err;
        await sleep(delay, signal);
      }
    }
  }
}
