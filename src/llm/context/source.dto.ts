import { ApiProperty } from '@nestjs/swagger';
import type { RetrievedChunk } from './context-retriever.port.js';

/** A numbered source of a retrieval-augmented answer (`[n]` in the answer text cites `index` n). */
export class SourceDto {
  @ApiProperty({ example: 1 }) index: number;
  @ApiProperty({ format: 'uuid' }) chunk_id: string;
  @ApiProperty({ format: 'uuid' }) document_id: string;
  @ApiProperty({ type: String, nullable: true, example: 'guide.md' }) source: string | null;
  @ApiProperty({ type: [String], example: ['Guide', 'Install'] }) heading_path: string[];
  @ApiProperty({ description: 'Cosine similarity, 0..1' }) score: number;
  @ApiProperty() text: string;
}

export function toSourceDto(c: RetrievedChunk, i: number): SourceDto {
  return {
    index: i + 1,
    chunk_id: c.chunkId,
    document_id: c.documentId,
    source: c.source,
    heading_path: c.headingPath,
    score: Math.round(c.score * 10_000) / 10_000,
    text: c.text,
  };
}
