import { Controller, Delete, Get, HttpCode, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import type { Principal } from '../auth/principal.js';
import { Scopes } from '../auth/scopes.decorator.js';
import { ApiErrorResponses } from '../common/swagger/api-error-responses.decorator.js';
import { DocumentsService } from './documents.service.js';
import { DocumentDto } from './dto/document.response.dto.js';
import { toDocumentDto } from './dto/to-document-dto.js';

/** Documents by id (CONTRACT §6): status while processing, delete with chunks and cached answers. */
@ApiTags('documents')
@ApiBearerAuth()
@Scopes('documents')
@Controller('api/documents')
export class DocumentsController {
  constructor(private readonly documents: DocumentsService) {}

  @Get(':id')
  @ApiOperation({
    summary: 'A document and its processing status (`pending`, `processing`, `processed`, `failed`)',
  })
  @ApiOkResponse({ type: DocumentDto })
  @ApiErrorResponses(400, 401, 403, 404)
  async get(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<DocumentDto> {
    const { document, collection } = await this.documents.get(principal, id);
    return toDocumentDto(document, collection);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a document, its chunks and the cached answers built on it' })
  @ApiNoContentResponse()
  @ApiErrorResponses(400, 401, 403, 404)
  async remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.documents.remove(principal, id);
  }
}
