import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { GatewayError } from '../../common/errors/gateway-error.js';
import type { SearchParams } from '../document-search.service.js';

export const MAX_QUERY_CHARS = 8_000;
const DEFAULT_TOP_K = 5;

export class SearchRequestDto {
  @ApiProperty({ example: 'How do I rotate a key?', maxLength: MAX_QUERY_CHARS }) query: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: DEFAULT_TOP_K }) top_k?: number;
  @ApiPropertyOptional({
    minimum: 0,
    maximum: 1,
    description: 'Least score (1 − cosine distance) a result needs',
  })
  min_score?: number;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { lang: 'en' },
    description: 'Chunks whose metadata contains this object (`metadata @> filter`)',
  })
  filter?: Record<string, unknown>;
}

export class SearchResultDto {
  @ApiProperty({ format: 'uuid' }) chunk_id: string;
  @ApiProperty({ format: 'uuid' }) document_id: string;
  @ApiProperty() text: string;
  @ApiProperty({ description: '1 − cosine distance; higher is closer' }) score: number;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true }) metadata: Record<
    string,
    unknown
  > | null;
  @ApiProperty({ description: '0-based position of the chunk in its document' }) position: number;
  @ApiProperty({ type: [String], description: 'Enclosing headings, outermost first' }) heading_path: string[];
  @ApiProperty({ type: String, nullable: true }) source_name: string | null;
}

export class SearchResponseDto {
  @ApiProperty({ type: [SearchResultDto] }) results: SearchResultDto[];
}

function invalid(param: string, message: string): GatewayError {
  return new GatewayError('invalid_request_error', `Invalid '${param}': ${message}`, { param });
}

/**
 * Reads a search body by hand rather than through class-transformer, which rebuilds nested objects
 * and drops keys such as `constructor`: the filter must reach SQL exactly as sent.
 */
export function readSearchRequest(body: unknown): SearchParams {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid('body', 'must be a JSON object');
  }
  const b = body as Record<string, unknown>;
  if (typeof b.query !== 'string' || b.query.trim() === '')
    throw invalid('query', 'must be a non-empty string');
  if (b.query.length > MAX_QUERY_CHARS)
    throw invalid('query', `must be at most ${MAX_QUERY_CHARS} characters`);
  const topK = b.top_k ?? DEFAULT_TOP_K;
  if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 1 || topK > 100) {
    throw invalid('top_k', 'must be an integer from 1 to 100');
  }
  const minScore = b.min_score ?? undefined;
  if (minScore !== undefined && (typeof minScore !== 'number' || !(minScore >= 0 && minScore <= 1))) {
    throw invalid('min_score', 'must be a number from 0 to 1');
  }
  const filter = b.filter ?? undefined;
  if (filter !== undefined && (typeof filter !== 'object' || Array.isArray(filter))) {
    throw invalid('filter', 'must be a JSON object');
  }
  return {
    query: b.query,
    topK,
    minScore: minScore,
    filter: filter as Record<string, unknown> | undefined,
  };
}
