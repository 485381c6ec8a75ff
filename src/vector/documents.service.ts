import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { DataSource, Repository } from 'typeorm';
import { isAdmin, type Principal, tenantOf } from '../auth/principal.js';
import { GatewayError } from '../common/errors/gateway-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import type { CollectionEntity } from './collection.entity.js';
import { CollectionsService } from './collections.service.js';
import { DocumentEntity, type DocumentStatus } from './document.entity.js';
import { detectDocumentType, type DocumentType } from './ingest/index.js';
import { IngestQueue } from './queue/ingest-queue.js';
import { returnedRows } from '../database/sql-result.js';
import {
  isRejected,
  tooLarge,
  type UploadEntry,
  type UploadItem,
  type UploadOutcome,
} from './upload-item.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const MAX_PAGE = 100;
/** What a full queue tells the client to wait before trying again. */
const QUEUE_FULL_RETRY_MS = 5_000;

export interface DocumentView {
  document: DocumentEntity;
  collection: string;
}

export interface DocumentPage {
  data: DocumentEntity[];
  nextCursor: string | null;
}

function documentNotFound(id: string): GatewayError {
  return new GatewayError('not_found', `No document '${id}'.`, { param: 'id' });
}

function queueFull(): GatewayError {
  return new GatewayError('service_unavailable', 'The ingestion queue is full; retry later.', {
    retryable: true,
    retryAfterMs: QUEUE_FULL_RETRY_MS,
  });
}

/** Keyset cursor over (created_at DESC, id DESC). */
function encodeCursor(d: DocumentEntity): string {
  return Buffer.from(`${d.createdAt.toISOString()}|${d.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { at: Date; id: string } {
  const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const date = new Date(at ?? '');
  if (!id || !UUID.test(id) || Number.isNaN(date.getTime())) {
    throw new GatewayError('invalid_request_error', 'Invalid cursor.', { param: 'cursor' });
  }
  return { at: date, id };
}

/**
 * Uploads, reads and deletes documents. An upload is checked (size, type), stored with its raw bytes
 * and queued; extraction, chunking and embedding run in the background (IngestQueue). The same bytes
 * twice in one collection are one document: the second upload answers the first one's id and status
 * (a `failed` one is queued again with the new upload).
 */
@Injectable()
export class DocumentsService {
  constructor(
    @InjectRepository(DocumentEntity) private readonly documents: Repository<DocumentEntity>,
    @InjectDataSource() private readonly db: DataSource,
    private readonly collections: CollectionsService,
    private readonly queue: IngestQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /** Accepts each entry on its own: one bad item fails alone, the others are stored and queued. */
  async upload(
    tenant: string,
    collectionName: string,
    entries: readonly UploadEntry[],
  ): Promise<UploadOutcome[]> {
    let collection: Promise<CollectionEntity> | undefined;
    const outcomes: UploadOutcome[] = [];
    for (const [index, entry] of entries.entries()) {
      try {
        if (isRejected(entry)) throw entry.error;
        const type = this.check(entry);
        collection ??= this.collections.getOrCreate(tenant, collectionName);
        outcomes.push(await this.store(await collection, entry, type));
      } catch (err) {
        if (!(err instanceof GatewayError)) throw err;
        outcomes.push({ error: err, index });
      }
    }
    return outcomes;
  }

  /** The document, or 404 when it does not exist or is another tenant's. */
  async get(principal: Principal, id: string): Promise<DocumentView> {
    const rows: Array<{ name: string }> = UUID.test(id)
      ? await this.db.query(
          `SELECT c.name FROM documents d JOIN collections c ON c.id = d.collection_id
            WHERE d.id = $1 AND ($2::text IS NULL OR d.tenant = $2)`,
          [id, isAdmin(principal) ? null : tenantOf(principal)],
        )
      : [];
    const document = rows[0] ? await this.documents.findOneBy({ id }) : null;
    if (!rows[0] || !document) throw documentNotFound(id);
    return { document, collection: rows[0].name };
  }

  async list(
    tenant: string,
    collectionName: string,
    opts: { limit?: number; cursor?: string; status?: DocumentStatus },
  ): Promise<DocumentPage> {
    const collection = await this.collections.get(tenant, collectionName);
    const take = Math.min(Math.max(1, opts.limit ?? 20), MAX_PAGE);
    const q = this.documents
      .createQueryBuilder('d')
      .where('d.collection_id = :collectionId', { collectionId: collection.id })
      .orderBy('d.created_at', 'DESC')
      .addOrderBy('d.id', 'DESC')
      .take(take + 1);
    if (opts.status) q.andWhere('d.status = :status', { status: opts.status });
    if (opts.cursor) {
      const { at, id } = decodeCursor(opts.cursor);
      q.andWhere('(d.created_at, d.id) < (:at, :id)', { at, id });
    }
    const rows = await q.getMany();
    const page = rows.slice(0, take);
    const last = page.at(-1);
    return { data: page, nextCursor: rows.length > take && last ? encodeCursor(last) : null };
  }

  /** Deletes a document with its chunks, and the cached answers built on it. */
  async remove(principal: Principal, id: string): Promise<void> {
    await this.get(principal, id);
    this.queue.cancel([id]);
    await this.documents.delete({ id });
    await this.collections.purgeAnswers([id]);
  }

  /** Size and type, before anything is stored. */
  private check(item: UploadItem): DocumentType {
    const max = this.config.documents.maxBytes;
    if (item.bytes.length > max) throw tooLarge(max);
    return detectDocumentType({ filename: item.sourceName, mime: item.mime, bytes: item.bytes });
  }

  private async store(
    collection: CollectionEntity,
    item: UploadItem,
    type: DocumentType,
  ): Promise<UploadOutcome> {
    const hash = createHash('sha256').update(item.bytes).digest('hex');
    // A duplicate needs no place in the queue, so it is answered even when the queue is full.
    const known: Array<{ id: string; status: DocumentStatus }> = await this.db.query(
      'SELECT id, status FROM documents WHERE collection_id = $1 AND content_hash = $2',
      [collection.id, hash],
    );
    const existing = known[0];
    if (existing && existing.status !== 'failed') return existing;
    if (!this.queue.tryReserve()) throw queueFull();
    try {
      const stored = await this.insertOrFind(collection, item, type, hash);
      if (stored.queued) this.queue.enqueue(stored.id);
      else this.queue.release();
      return { id: stored.id, status: stored.status };
    } catch (err) {
      this.queue.release();
      throw err;
    }
  }

  /** Inserts the document and its upload, or finds the same content already in the collection. */
  private async insertOrFind(
    collection: CollectionEntity,
    item: UploadItem,
    type: DocumentType,
    hash: string,
  ): Promise<{ id: string; status: DocumentStatus; queued: boolean }> {
    return this.db.transaction(async (m) => {
      const inserted = returnedRows<{ id: string }>(
        await m.query(
          `INSERT INTO documents (collection_id, tenant, source_name, mime, content_hash, metadata,
             embedding_model, dimension, bytes)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9)
           ON CONFLICT (collection_id, content_hash) DO NOTHING RETURNING id`,
          [
            collection.id,
            collection.tenant,
            item.sourceName ?? null,
            type,
            hash,
            item.metadata === undefined ? null : JSON.stringify(item.metadata),
            collection.embeddingModel,
            collection.dimension,
            item.bytes.length,
          ],
        ),
      )[0];
      if (inserted) {
        await m.query('INSERT INTO document_blobs (document_id, content) VALUES ($1, $2)', [
          inserted.id,
          item.bytes,
        ]);
        return { id: inserted.id, status: 'pending', queued: true };
      }
      // The same content is there already; it is locked until this transaction ends.
      const found: Array<{ id: string; status: DocumentStatus }> = await m.query(
        'SELECT id, status FROM documents WHERE collection_id = $1 AND content_hash = $2 FOR UPDATE',
        [collection.id, hash],
      );
      const existing = found[0];
      if (!existing)
        throw new GatewayError('service_unavailable', 'The document changed meanwhile; retry.', {
          retryable: true,
        });
      if (existing.status !== 'failed') return { ...existing, queued: false };
      await m.query(
        `UPDATE documents SET status = 'pending', error = NULL, mime = $2, updated_at = now() WHERE id = $1`,
        [existing.id, type],
      );
      await m.query(
        `INSERT INTO document_blobs (document_id, content) VALUES ($1, $2)
         ON CONFLICT (document_id) DO UPDATE SET content = EXCLUDED.content`,
        [existing.id, item.bytes],
      );
      return { id: existing.id, status: 'pending', queued: true };
    });
  }
}
