/**
 * The ingestion pipeline's pure stages and what flows between them: extract (bytes → structured
 * text), clean, chunk. Storage, embedding and the queue build on these; nothing here touches the
 * database or the network.
 */

/** Formats the pipeline accepts, by their canonical MIME type. */
export const DOCUMENT_TYPES = ['text/plain', 'text/markdown', 'text/html', 'application/pdf'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

/** A block of text under its headings, in document order. */
export interface TextSection {
  /** Enclosing headings, outermost first, e.g. `['Guide', 'Install']`; empty before the first one. */
  headingPath: string[];
  /** Cleaned text; paragraphs separated by a blank line. */
  text: string;
}

export interface ExtractedDocument {
  type: DocumentType;
  /** A title when the format has one (HTML `<title>`, the first Markdown `#`, PDF metadata). */
  title?: string;
  sections: TextSection[];
}

export interface Chunk {
  /** 0-based position in the document. */
  position: number;
  text: string;
  tokenCount: number;
  headingPath: string[];
}

export interface ChunkingOptions {
  /** Target size; a chunk exceeds it only when one sentence alone does (then it is split by words). */
  chunkTokens: number;
  /** Tokens repeated from the end of the previous chunk (whole sentences where possible). */
  overlapTokens: number;
  /** Counts tokens the way the embedder sees them. */
  countTokens: (text: string) => number;
}
