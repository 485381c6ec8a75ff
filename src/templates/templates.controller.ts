import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import { isAdmin, type Principal, tenantOf } from '../auth/principal.js';
import { Scopes } from '../auth/scopes.decorator.js';
import { GatewayError } from '../common/errors/gateway-error.js';
import { ApiErrorResponses } from '../common/swagger/api-error-responses.decorator.js';
import {
  CreateTemplateRequestDto,
  GetTemplateQueryDto,
  ListTemplatesQueryDto,
  RenderTemplateRequestDto,
  TenantQueryDto,
  UpdateTemplateRequestDto,
} from './dto/template.request.dto.js';
import {
  RenderedTemplateResponseDto,
  TemplateDetailResponseDto,
  TemplateListResponseDto,
  TemplateResponseDto,
} from './dto/template.response.dto.js';
import { JsonBodyPipe } from './dto/json-body.pipe.js';
import type { PromptTemplateEntity } from './prompt-template.entity.js';
import { TEMPLATE_NAME_PATTERN } from './template-definition.js';
import { notFound } from './templates.repository.js';
import { SHARED_TEMPLATES, TemplatesService } from './templates.service.js';

const DEFAULT_PAGE_SIZE = 20;

class TemplateNameParamsDto {
  @ApiProperty({ example: 'support.reply', pattern: TEMPLATE_NAME_PATTERN.source })
  @Matches(TEMPLATE_NAME_PATTERN, { message: 'name is not a valid template name' })
  name: string;
}

function toDto(row: PromptTemplateEntity): TemplateResponseDto {
  return {
    id: row.id,
    tenant: row.tenant,
    name: row.name,
    version: row.version,
    content: row.content,
    variables: row.variables,
    description: row.description,
    created_at: row.createdAt.toISOString(),
  };
}

function encodeCursor(row: PromptTemplateEntity): string {
  return Buffer.from(JSON.stringify([row.tenant, row.name])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string')) {
      return [value[0], value[1]];
    }
  } catch {
    // Reported below.
  }
  throw new GatewayError('invalid_request_error', 'cursor is not a cursor this API returned.', {
    param: 'cursor',
  });
}

/**
 * The tenant a request addresses: the caller's own, or for the admin any (`?tenant=`). A key naming
 * another tenant gets the same 404 as for something that does not exist.
 */
function tenantFor(principal: Principal, requested: string | undefined, missing: () => GatewayError): string {
  const own = tenantOf(principal);
  if (requested === undefined || requested === own) return own;
  if (isAdmin(principal)) return requested;
  throw missing();
}

function noTenant(tenant: string | undefined): () => GatewayError {
  return () => new GatewayError('not_found', `No tenant '${tenant}'.`, { param: 'tenant' });
}

@ApiTags('templates')
@ApiBearerAuth()
@Scopes('templates')
@Controller('api/templates')
export class TemplatesController {
  constructor(private readonly templates: TemplatesService) {}

  @Post()
  @ApiOperation({ summary: 'Create a prompt template (version 1)' })
  @ApiCreatedResponse({ type: TemplateResponseDto })
  @ApiErrorResponses(400, 401, 403, 404, 500)
  async create(
    @Body(new JsonBodyPipe(CreateTemplateRequestDto)) body: CreateTemplateRequestDto,
    @Query() query: TenantQueryDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<TemplateResponseDto> {
    const tenant = tenantFor(principal, query.tenant, noTenant(query.tenant));
    const row = await this.templates.create(tenant, {
      name: body.name,
      content: body.content,
      variables: body.variables,
      description: body.description,
    });
    return toDto(row);
  }

  @Get()
  @ApiOperation({
    summary:
      "List templates (their latest versions) by name: a key's own and the shared ones; the admin sees every tenant",
  })
  @ApiOkResponse({ type: TemplateListResponseDto })
  @ApiErrorResponses(400, 401, 403, 404, 500)
  async list(
    @Query() query: ListTemplatesQueryDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<TemplateListResponseDto> {
    if (query.cursor !== undefined && query.offset !== undefined) {
      throw new GatewayError('invalid_request_error', 'Pass either cursor or offset, not both.', {
        param: 'offset',
      });
    }
    // A key lists its own templates and the shared ones; the admin every tenant's, or one tenant's.
    const tenants = isAdmin(principal)
      ? query.tenant === undefined
        ? undefined
        : [query.tenant]
      : [tenantFor(principal, query.tenant, noTenant(query.tenant)), SHARED_TEMPLATES];
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const rows = await this.templates.list({
      tenants,
      after: query.cursor === undefined ? undefined : decodeCursor(query.cursor),
      offset: query.offset,
      limit,
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const hasMore = rows.length > limit;
    return {
      data: page.map(toDto),
      has_more: hasMore,
      next_cursor: hasMore && last ? encodeCursor(last) : null,
    };
  }

  @Get(':name')
  @ApiOperation({ summary: 'A template: its latest version (or `?version=`) and the list of its versions' })
  @ApiOkResponse({ type: TemplateDetailResponseDto })
  @ApiErrorResponses(400, 401, 403, 404, 500)
  async get(
    @Param() params: TemplateNameParamsDto,
    @Query() query: GetTemplateQueryDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<TemplateDetailResponseDto> {
    const tenant = tenantFor(principal, query.tenant, () => notFound(params.name, undefined, 'name'));
    const found = await this.templates.get(tenant, params.name, query.version);
    return {
      ...toDto(found.template),
      latest_version: found.latestVersion,
      versions: found.versions.map((v) => ({ version: v.version, created_at: v.createdAt.toISOString() })),
    };
  }

  @Put(':name')
  @ApiOperation({ summary: 'Add the next version of a template (earlier versions stay as they are)' })
  @ApiOkResponse({ type: TemplateResponseDto })
  @ApiErrorResponses(400, 401, 403, 404, 500)
  async update(
    @Param() params: TemplateNameParamsDto,
    @Body(new JsonBodyPipe(UpdateTemplateRequestDto)) body: UpdateTemplateRequestDto,
    @Query() query: TenantQueryDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<TemplateResponseDto> {
    const tenant = tenantFor(principal, query.tenant, () => notFound(params.name, undefined, 'name'));
    const row = await this.templates.addVersion(tenant, params.name, {
      content: body.content,
      variables: body.variables,
      description: body.description,
    });
    return toDto(row);
  }

  @Delete(':name')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a template, every version' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrorResponses(400, 401, 403, 404, 500)
  async remove(
    @Param() params: TemplateNameParamsDto,
    @Query() query: TenantQueryDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    const tenant = tenantFor(principal, query.tenant, () => notFound(params.name, undefined, 'name'));
    await this.templates.remove(tenant, params.name);
  }

  @Post(':name/render')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Render a template (latest or a given version) with variables checked against its schema',
  })
  @ApiOkResponse({ type: RenderedTemplateResponseDto })
  @ApiErrorResponses(400, 401, 403, 404, 500)
  async render(
    @Param() params: TemplateNameParamsDto,
    @Body(new JsonBodyPipe(RenderTemplateRequestDto)) body: RenderTemplateRequestDto,
    @Query() query: TenantQueryDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<RenderedTemplateResponseDto> {
    const tenant = tenantFor(principal, query.tenant, () => notFound(params.name, undefined, 'name'));
    return this.templates.render(tenant, {
      name: params.name,
      version: body.version,
      variables: body.variables,
    });
  }
}
