import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource, Repository } from 'typeorm';
import { GatewayError } from '../common/errors/gateway-error.js';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ChatCacheService } from '../llm/chat-cache.service.js';
import { EmbeddingsService } from '../llm/embeddings.service.js';
import { ChunkStore } from './chunk-store.js';
import { MAX_DIMENSION } from './chunk-table.js';
import { CollectionEntity } from './collection.entity.js';
import { IngestQueue } from './queue/ingest-queue.js';

/** Cached answers are purged this many documents at a time. */
const PURGE_BATCH = 1000;

export function collectionNotFound(name: string): GatewayError {
  return new GatewayError('not_found', `No collection '${name}'.`, { param: 'collection' });
}

/**
 * Collections by (tenant, name). A collection is created by its first upload, with the configured
 * embedding model and that model's dimension; both stay fixed for the collection's life, so changing
 * `EMBEDDING_MODEL` affects new collections only.
 */
@Injectable()
export class CollectionsService {
  constructor(
    @InjectRepository(CollectionEntity) private readonly collections: Repository<CollectionEntity>,
    @InjectDataSource() private readonly db: DataSource,
    private readonly chunks: ChunkStore,
    private readonly embeddings: EmbeddingsService,
    private readonly chatCache: ChatCacheService,
    private readonly queue: IngestQueue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly log: Logger,
  ) {}

  find(tenant: string, name: string): Promise<CollectionEntity | null> {
    return this.collections.findOneBy({ tenant, name });
  }

  /** The collection, or 404 (also for another tenant's: the caller cannot tell the difference). */
  async get(tenant: string, name: string): Promise<CollectionEntity> {
    const found = await this.find(tenant, name);
    if (!found) throw collectionNotFound(name);
    return found;
  }

  async getOrCreate(tenant: string, name: string): Promise<CollectionEntity> {
    const found = await this.find(tenant, name);
    if (found) return found;
    const model = this.config.embeddingModel;
    const dimension = await this.dimensionOf(model);
    await this.chunks.table(dimension);
    await this.db.query(
      `INSERT INTO collections (tenant, name, embedding_model, dimension) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant, name) DO NOTHING`,
      [tenant, name, model, dimension],
    );
    this.log.info({ tenant, collection: name, model, dimension }, 'collection created');
    return this.get(tenant, name);
  }

  /** Deletes a collection with its documents and chunks, and the cached answers built on them. */
  async remove(tenant: string, name: string): Promise<void> {
    const collection = await this.get(tenant, name);
    const rows: Array<{ id: string }> = await this.db.query(
      'SELECT id FROM documents WHERE collection_id = $1',
      [collection.id],
    );
    const ids = rows.map((r) => r.id);
    this.queue.cancel(ids);
    // Documents (and, through them, chunks and stored uploads) go by ON DELETE CASCADE.
    await this.collections.delete({ id: collection.id });
    await this.purgeAnswers(ids);
  }

  /** Purges cached answers built on deleted documents; a failure leaves them to expire. */
  async purgeAnswers(documentIds: readonly string[]): Promise<void> {
    for (let i = 0; i < documentIds.length; i += PURGE_BATCH) {
      try {
        await this.chatCache.purgeDocuments(documentIds.slice(i, i + PURGE_BATCH));
      } catch (err) {
        this.log.error(
          { err: err instanceof Error ? err.message : String(err) },
          'purging cached answers of deleted documents failed',
        );
      }
    }
  }

  /** The model's output size, from one embedding (the local embedder computes it, remote ones answer it). */
  private async dimensionOf(model: string): Promise<number> {
    const { vectors } = await this.embeddings.embed(model, ['dimension probe']);
    const dimension = vectors[0]?.length ?? 0;
    if (dimension < 1) {
      throw new GatewayError('upstream_error', `The embedder ${model} returned no embedding.`);
    }
    if (dimension > MAX_DIMENSION) {
      throw new GatewayError(
        'unsupported',
        `The embedder ${model} returns ${dimension} dimensions; pgvector stores at most ${MAX_DIMENSION}.`,
      );
    }
    return dimension;
  }
}
