import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ContextRetriever } from '../llm/context/context-retriever.port.js';
import { DatabaseEndpointModule } from '../database/database.module.js';
import { LlmModule } from '../llm/llm.module.js';
import { ChunkStore } from './chunk-store.js';
import { CollectionEntity } from './collection.entity.js';
import { CollectionsController } from './collections.controller.js';
import { CollectionsService } from './collections.service.js';
import { DocumentEntity } from './document.entity.js';
import { DocumentSearchService } from './document-search.service.js';
import { DocumentsController } from './documents.controller.js';
import { DocumentsService } from './documents.service.js';
import { DocumentProcessor } from './queue/document-processor.js';
import { IngestQueue } from './queue/ingest-queue.js';
import { SearchSessions } from './search-sessions.js';

/**
 * Documents and retrieval: collections, the ingestion queue, pgvector search. Global so that chat
 * (in llm/, which must not import vector/) finds the ContextRetriever it declares.
 */
@Global()
@Module({
  imports: [TypeOrmModule.forFeature([CollectionEntity, DocumentEntity]), DatabaseEndpointModule, LlmModule],
  controllers: [CollectionsController, DocumentsController],
  providers: [
    ChunkStore,
    SearchSessions,
    CollectionsService,
    DocumentsService,
    DocumentProcessor,
    IngestQueue,
    DocumentSearchService,
    { provide: ContextRetriever, useExisting: DocumentSearchService },
  ],
  exports: [ContextRetriever],
})
export class VectorModule {}
