import { Injectable } from '@nestjs/common';
import { tenantOf } from '../auth/principal.js';
import { GatewayError } from '../common/errors/gateway-error.js';
import {
  ContextRetriever,
  type RetrievalQuery,
  type RetrievedChunk,
} from '../llm/context/context-retriever.port.js';
import type { CallerInfo } from '../llm/caller-info.js';
import { EmbeddingsService } from '../llm/embeddings.service.js';
import { type ChunkHit, ChunkStore } from './chunk-store.js';
import { CollectionsService } from './collections.service.js';

export const MAX_TOP_K = 100;

export interface SearchParams {
  query: string;
  topK: number;
  minScore?: number;
  filter?: Record<string, unknown>;
}

/**
 * Semantic search over one collection: the query is embedded with the collection's own model, then
 * the nearest chunks come from its dimension's HNSW index. Also the ContextRetriever that chat's
 * `context: {collection, …}` uses, confined to the caller's own collections.
 */
@Injectable()
export class DocumentSearchService extends ContextRetriever {
  constructor(
    private readonly collections: CollectionsService,
    private readonly chunks: ChunkStore,
    private readonly embeddings: EmbeddingsService,
  ) {
    super();
  }

  /** `caller`: whose token limit and usage the query's embedding counts against. */
  async search(
    tenant: string,
    collectionName: string,
    p: SearchParams,
    caller: CallerInfo,
  ): Promise<ChunkHit[]> {
    if (!Number.isInteger(p.topK) || p.topK < 1 || p.topK > MAX_TOP_K) {
      throw new GatewayError('invalid_request_error', `top_k must be an integer from 1 to ${MAX_TOP_K}.`, {
        param: 'top_k',
      });
    }
    const collection = await this.collections.get(tenant, collectionName);
    const { vectors } = await this.embeddings.embedAs(caller, collection.embeddingModel, [p.query]);
    const embedding = vectors[0];
    if (!embedding || embedding.length !== collection.dimension) {
      throw new GatewayError(
        'upstream_error',
        `The embedder ${collection.embeddingModel} returned ${embedding?.length ?? 0} dimensions; the collection has ${collection.dimension}.`,
      );
    }
    return this.chunks.search({
      collectionId: collection.id,
      dimension: collection.dimension,
      embedding,
      topK: p.topK,
      minScore: p.minScore,
      filter: p.filter,
    });
  }

  async retrieve(caller: CallerInfo, q: RetrievalQuery): Promise<RetrievedChunk[]> {
    const hits = await this.search(
      tenantOf(caller.principal),
      q.collection,
      {
        query: q.query,
        topK: Math.min(Math.max(1, Math.floor(q.topK)), MAX_TOP_K),
        minScore: q.minScore,
        filter: q.filter,
      },
      caller,
    );
    return hits.map((h) => ({
      chunkId: h.chunkId,
      documentId: h.documentId,
      source: h.sourceName,
      text: h.text,
      score: h.score,
      position: h.position,
      headingPath: h.headingPath,
      tokenCount: h.tokenCount,
      metadata: h.metadata,
    }));
  }
}
