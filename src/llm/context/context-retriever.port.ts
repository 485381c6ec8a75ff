import type { CallerInfo } from '../caller-info.js';

export interface RetrievalQuery {
  collection: string;
  query: string;
  /** Already bounded by the caller. */
  topK: number;
  /** Cosine similarity, 0..1. */
  minScore?: number;
  /** Metadata equality filter (`{ "lang": "en" }`), as the search endpoint takes it. */
  filter?: Record<string, unknown>;
}

export interface RetrievedChunk {
  chunkId: string;
  documentId: string;
  /** The document's source name (file name), when it has one. */
  source: string | null;
  text: string;
  /** Cosine similarity, 0..1. */
  score: number;
  position: number;
  headingPath: string[];
  tokenCount: number;
  metadata: Record<string, unknown> | null;
}

/**
 * Where chat's `context: {collection, …}` gets its chunks: implemented by the vector module (which
 * depends on llm/, not the other way round) and provided globally. 404 for a collection the caller
 * cannot see. Embedding the query counts against the caller's token limit and usage.
 */
export abstract class ContextRetriever {
  abstract retrieve(caller: CallerInfo, q: RetrievalQuery): Promise<RetrievedChunk[]>;
}
