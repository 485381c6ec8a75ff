import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { DOCUMENT_STATUSES, type DocumentStatus } from '../document.entity.js';

/** Collection names: letters, digits, `.`, `_`, `-`; up to 128 characters, starting with a letter or digit. */
export const COLLECTION_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const TENANT_PATTERN = /^(admin|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

export class CollectionParamsDto {
  @ApiProperty({ example: 'handbook', pattern: COLLECTION_NAME_PATTERN.source })
  @Matches(COLLECTION_NAME_PATTERN, { message: 'collection is not a valid collection name' })
  collection: string;
}

export class TenantQueryDto {
  @ApiPropertyOptional({
    description:
      'Admin only: the tenant (a key id, or `admin`) whose collection to address; default your own',
  })
  @IsOptional()
  @Matches(TENANT_PATTERN, { message: 'tenant must be a key id or admin' })
  tenant?: string;
}

export class ListDocumentsQueryDto extends TenantQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  @ApiPropertyOptional({ enum: DOCUMENT_STATUSES, description: 'Only documents in this status' })
  @IsOptional()
  @IsIn(DOCUMENT_STATUSES)
  status?: DocumentStatus;
}

/** OpenAPI description of a JSON upload (the route reads the body itself: JSON or multipart). */
export class JsonDocumentDto {
  @ApiProperty({
    description: 'The document text (UTF-8); Markdown or HTML when `mime` or `source_name` says so',
  })
  text: string;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Copied to every chunk; search filters match it',
  })
  metadata?: Record<string, unknown>;
  @ApiPropertyOptional({ example: 'guide.md', maxLength: 500 })
  source_name?: string;
  @ApiPropertyOptional({ enum: ['text/plain', 'text/markdown', 'text/html'], example: 'text/markdown' })
  mime?: string;
}

export class JsonDocumentBatchDto {
  @ApiProperty({ type: [JsonDocumentDto], minItems: 1, maxItems: 100 })
  documents: JsonDocumentDto[];
}

export class MultipartDocumentsDto {
  @ApiProperty({
    type: 'string',
    format: 'binary',
    description: 'One or more files (.txt, .md, .html, .pdf)',
  })
  file: unknown;
  @ApiPropertyOptional({ description: 'A JSON object applied to every file as its metadata' })
  metadata?: string;
}
