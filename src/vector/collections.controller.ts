import type {} from '@fastify/multipart';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiBody,
  ApiConsumes,
  ApiExtraModels,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import { isAdmin, type Principal, tenantOf } from '../auth/principal.js';
import { Scopes } from '../auth/scopes.decorator.js';
import { toErrorResponse } from '../common/errors/error-envelope.js';
import { GatewayError } from '../common/errors/gateway-error.js';
import { ApiErrorResponses, ErrorEnvelopeDto } from '../common/swagger/api-error-responses.decorator.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { CollectionsService, collectionNotFound } from './collections.service.js';
import { DocumentSearchService } from './document-search.service.js';
import { DocumentsService } from './documents.service.js';
import {
  CollectionParamsDto,
  JsonDocumentBatchDto,
  JsonDocumentDto,
  ListDocumentsQueryDto,
  MultipartDocumentsDto,
  TenantQueryDto,
} from './dto/document.request.dto.js';
import {
  BatchAcceptedDto,
  type BatchItemDto,
  DocumentAcceptedDto,
  DocumentListDto,
} from './dto/document.response.dto.js';
import { readSearchRequest, SearchRequestDto, SearchResponseDto } from './dto/search.dto.js';
import { toDocumentDto } from './dto/to-document-dto.js';
import { readMultipartUpload } from './multipart-upload.js';
import { readJsonUpload, type UploadEntry, type UploadOutcome } from './upload-item.js';

/**
 * The tenant a collection route addresses: the caller's own, or for the admin any (`?tenant=`). A
 * key naming another tenant gets the same 404 as for a collection that does not exist.
 */
function tenantFor(principal: Principal, requested: string | undefined, collection: string): string {
  const own = tenantOf(principal);
  if (requested === undefined || requested === own) return own;
  if (isAdmin(principal)) return requested;
  throw collectionNotFound(collection);
}

function toBatchItem(o: UploadOutcome): BatchItemDto {
  return 'error' in o ? { error: toErrorResponse(o.error).body.error, index: o.index } : o;
}

/** Collections (CONTRACT §6): upload documents, list them, search them, delete the whole collection. */
@ApiTags('documents')
@ApiBearerAuth()
@Scopes('documents')
@Controller('api/collections')
@ApiExtraModels(
  JsonDocumentDto,
  JsonDocumentBatchDto,
  MultipartDocumentsDto,
  DocumentAcceptedDto,
  BatchAcceptedDto,
)
export class CollectionsController {
  constructor(
    private readonly documents: DocumentsService,
    private readonly collections: CollectionsService,
    private readonly search: DocumentSearchService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post(':collection/documents')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Upload documents (JSON text, a batch of texts, or multipart files); processed in the background',
    description:
      'Creates the collection on first upload. One document answers `{id, status}`; a batch (`documents` ' +
      'array, or several files) answers `{documents: [...]}` where refused items carry `error` and `index`. ' +
      'The same content again answers the existing document.',
  })
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiBody({
    schema: {
      oneOf: [
        { $ref: getSchemaPath(JsonDocumentDto) },
        { $ref: getSchemaPath(JsonDocumentBatchDto) },
        { $ref: getSchemaPath(MultipartDocumentsDto) },
      ],
    },
  })
  @ApiAcceptedResponse({
    schema: {
      oneOf: [{ $ref: getSchemaPath(DocumentAcceptedDto) }, { $ref: getSchemaPath(BatchAcceptedDto) }],
    },
  })
  @ApiResponse({
    status: 415,
    description: 'Unsupported document type (`unsupported_media_type`)',
    type: ErrorEnvelopeDto,
  })
  @ApiErrorResponses(400, 401, 403, 404, 413, 503)
  async upload(
    @Param() params: CollectionParamsDto,
    @Query() query: TenantQueryDto,
    @CurrentPrincipal() principal: Principal,
    @Req() req: FastifyRequest,
  ): Promise<DocumentAcceptedDto | BatchAcceptedDto> {
    const tenant = tenantFor(principal, query.tenant, params.collection);
    const maxBytes = this.config.documents.maxBytes;
    let entries: UploadEntry[];
    let batch: boolean;
    if (req.isMultipart()) {
      entries = await readMultipartUpload(req, maxBytes);
      batch = entries.length > 1;
    } else if (typeof req.body === 'object' && req.body !== null) {
      ({ entries, batch } = readJsonUpload(req.body, maxBytes));
    } else {
      throw new GatewayError('unsupported_media_type', 'Send application/json or multipart/form-data.');
    }
    const outcomes = await this.documents.upload(tenant, params.collection, entries);
    if (batch) return { documents: outcomes.map(toBatchItem) };
    const only = outcomes[0];
    if (!only) throw new GatewayError('invalid_request_error', 'No document in the request.');
    if ('error' in only) throw only.error;
    return only;
  }

  @Get(':collection/documents')
  @ApiOperation({ summary: "A collection's documents, newest first (keyset pagination)" })
  @ApiOkResponse({ type: DocumentListDto })
  @ApiErrorResponses(400, 401, 403, 404)
  async list(
    @Param() params: CollectionParamsDto,
    @Query() query: ListDocumentsQueryDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<DocumentListDto> {
    const tenant = tenantFor(principal, query.tenant, params.collection);
    const page = await this.documents.list(tenant, params.collection, query);
    return { data: page.data.map((d) => toDocumentDto(d, params.collection)), next_cursor: page.nextCursor };
  }

  @Delete(':collection')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a collection: every document, chunk and cached answer built on them' })
  @ApiNoContentResponse()
  @ApiErrorResponses(400, 401, 403, 404)
  async remove(
    @Param() params: CollectionParamsDto,
    @Query() query: TenantQueryDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    await this.collections.remove(tenantFor(principal, query.tenant, params.collection), params.collection);
  }

  @Post(':collection/search')
  @HttpCode(200)
  @ApiOperation({ summary: 'The chunks nearest to a query (cosine), best first' })
  @ApiBody({ type: SearchRequestDto })
  @ApiOkResponse({ type: SearchResponseDto })
  @ApiErrorResponses(400, 401, 403, 404, 502, 503)
  async searchCollection(
    @Param() params: CollectionParamsDto,
    @Query() query: TenantQueryDto,
    @CurrentPrincipal() principal: Principal,
    @Body() body: unknown,
    @Req() req: FastifyRequest,
  ): Promise<SearchResponseDto> {
    const request = readSearchRequest(body);
    const hits = await this.search.search(
      tenantFor(principal, query.tenant, params.collection),
      params.collection,
      request,
      { principal, requestId: req.id },
    );
    return {
      results: hits.map((h) => ({
        chunk_id: h.chunkId,
        document_id: h.documentId,
        text: h.text,
        score: h.score,
        metadata: h.metadata,
        position: h.position,
        heading_path: h.headingPath,
        source_name: h.sourceName,
      })),
    };
  }
}
