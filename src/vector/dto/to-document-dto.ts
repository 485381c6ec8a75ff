import type { DocumentEntity } from '../document.entity.js';
import type { DocumentDto } from './document.response.dto.js';

export function toDocumentDto(d: DocumentEntity, collection: string): DocumentDto {
  return {
    id: d.id,
    collection,
    status: d.status,
    chunks: d.chunkCount,
    ...(d.status === 'failed' && d.error ? { error: d.error } : {}),
    source_name: d.sourceName,
    mime: d.mime,
    metadata: d.metadata,
    bytes: d.bytes,
    embedding_model: d.embeddingModel,
    created_at: d.createdAt.toISOString(),
    updated_at: d.updatedAt.toISOString(),
  };
}
