import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DOCUMENT_STATUSES, type DocumentStatus } from '../document.entity.js';
import { ErrorEnvelopeDto } from '../../common/swagger/api-error-responses.decorator.js';

export class DocumentAcceptedDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({
    enum: DOCUMENT_STATUSES,
    description: "`pending` when new; a duplicate answers the existing document's status",
  })
  status: DocumentStatus;
}

export class BatchItemDto {
  @ApiPropertyOptional({ format: 'uuid' }) id?: string;
  @ApiPropertyOptional({ enum: DOCUMENT_STATUSES }) status?: DocumentStatus;
  @ApiPropertyOptional({
    type: () => ErrorEnvelopeDto,
    description: 'Set (with `index`) when this item was refused',
  })
  error?: ErrorEnvelopeDto['error'];
  @ApiPropertyOptional({ description: 'Position of the refused item in the request' }) index?: number;
}

export class BatchAcceptedDto {
  @ApiProperty({ type: [BatchItemDto], description: 'One entry per document, in request order' })
  documents: BatchItemDto[];
}

export class DocumentDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'handbook' }) collection: string;
  @ApiProperty({ enum: DOCUMENT_STATUSES }) status: DocumentStatus;
  @ApiProperty({ description: 'Chunks stored (0 until processed)' }) chunks: number;
  @ApiPropertyOptional({ description: 'Why processing failed (status `failed` only)' }) error?: string;
  @ApiProperty({ type: String, nullable: true }) source_name: string | null;
  @ApiProperty({ example: 'text/markdown' }) mime: string;
  @ApiProperty({ type: 'object', nullable: true, additionalProperties: true }) metadata: Record<
    string,
    unknown
  > | null;
  @ApiProperty({ description: 'Size of the upload' }) bytes: number;
  @ApiProperty({ example: 'local/hash-384' }) embedding_model: string;
  @ApiProperty() created_at: string;
  @ApiProperty() updated_at: string;
}

export class DocumentListDto {
  @ApiProperty({ type: [DocumentDto] }) data: DocumentDto[];
  @ApiProperty({ type: String, nullable: true }) next_cursor: string | null;
}
