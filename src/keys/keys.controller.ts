import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import { DEFAULT_SCOPES, isAdmin, type Principal } from '../auth/principal.js';
import { Scopes } from '../auth/scopes.decorator.js';
import { GatewayError } from '../common/errors/gateway-error.js';
import { ApiErrorResponses } from '../common/swagger/api-error-responses.decorator.js';
import { UsageStore } from '../usage/usage.store.js';
import type { ApiKeyEntity } from './api-key.entity.js';
import { CreateKeyRequestDto } from './dto/create-key.request.dto.js';
import {
  CreatedKeyResponseDto,
  KeyListResponseDto,
  KeyResponseDto,
  UsageResponseDto,
} from './dto/key.response.dto.js';
import { UsageQueryDto } from './dto/usage.query.dto.js';
import { KeysService } from './keys.service.js';

const DAY_MS = 86_400_000;
const MAX_USAGE_DAYS = 366;

function toDto(row: ApiKeyEntity): KeyResponseDto {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    models: row.models,
    rpm: row.rpm,
    tpm: row.tpm,
    daily_budget_usd: row.dailyBudgetUsd === null ? null : Number(row.dailyBudgetUsd),
    created_at: row.createdAt.toISOString(),
    revoked_at: row.revokedAt?.toISOString() ?? null,
  };
}

function parseDay(value: string, param: string): Date {
  const d = new Date(`${value}T00:00:00.000Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) {
    throw new GatewayError('invalid_request_error', `${param} is not a valid date.`, { param });
  }
  return d;
}

@ApiTags('keys')
@ApiBearerAuth()
@Controller('api/keys')
export class KeysController {
  constructor(
    private readonly keys: KeysService,
    private readonly usage: UsageStore,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Issue an API key (admin); the key is in this response only' })
  @ApiCreatedResponse({ type: CreatedKeyResponseDto })
  @ApiErrorResponses(400, 401, 403, 500)
  async create(@Body() body: CreateKeyRequestDto): Promise<CreatedKeyResponseDto> {
    const { row, key } = await this.keys.create({
      name: body.name,
      scopes: body.scopes ?? [...DEFAULT_SCOPES],
      models: body.models,
      rpm: body.rpm,
      tpm: body.tpm,
      dailyBudgetUsd: body.daily_budget_usd,
    });
    return { ...toDto(row), key };
  }

  @Get()
  @ApiOperation({ summary: 'List API keys, revoked ones included (admin)' })
  @ApiOkResponse({ type: KeyListResponseDto })
  @ApiErrorResponses(400, 401, 403, 500)
  async list(): Promise<KeyListResponseDto> {
    return { data: (await this.keys.list()).map(toDto) };
  }

  @Delete(':id')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke an API key (admin); every instance refuses it within a second' })
  @ApiOkResponse({ type: KeyResponseDto })
  @ApiErrorResponses(400, 401, 403, 404, 500)
  async revoke(@Param('id') id: string): Promise<KeyResponseDto> {
    return toDto(await this.keys.revoke(id));
  }

  @Get(':id/usage')
  @Scopes()
  @ApiOperation({
    summary: 'Usage of a key by UTC day and model (admin, or the key itself)',
  })
  @ApiOkResponse({ type: UsageResponseDto })
  @ApiErrorResponses(400, 401, 404, 500)
  async usageOf(
    @Param('id') id: string,
    @Query() query: UsageQueryDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<UsageResponseDto> {
    // Another tenant's key is indistinguishable from a missing one.
    if (!isAdmin(principal) && principal.keyId !== id && !principal.scopes.has('admin')) {
      throw new GatewayError('not_found', `No API key with id '${id}'.`);
    }
    await this.keys.get(id);
    const to = query.to ? parseDay(query.to, 'to') : parseDay(new Date().toISOString().slice(0, 10), 'to');
    const from = query.from ? parseDay(query.from, 'from') : new Date(to.getTime() - 29 * DAY_MS);
    if (from > to) throw new GatewayError('invalid_request_error', 'from is after to.', { param: 'from' });
    if ((to.getTime() - from.getTime()) / DAY_MS >= MAX_USAGE_DAYS) {
      throw new GatewayError('invalid_request_error', `At most ${MAX_USAGE_DAYS} days per query.`, {
        param: 'from',
      });
    }
    const rows = await this.usage.aggregate(id, from, new Date(to.getTime() + DAY_MS));
    const totals = rows.reduce(
      (t, r) => ({
        requests: t.requests + r.requests,
        prompt_tokens: t.prompt_tokens + r.prompt_tokens,
        completion_tokens: t.completion_tokens + r.completion_tokens,
        cached_tokens: t.cached_tokens + r.cached_tokens,
        cost_usd: t.cost_usd + r.cost_usd,
        errors: t.errors + r.errors,
      }),
      { requests: 0, prompt_tokens: 0, completion_tokens: 0, cached_tokens: 0, cost_usd: 0, errors: 0 },
    );
    return {
      key_id: id,
      from: from.toISOString().slice(0, 10),
      to: to.toISOString().slice(0, 10),
      data: rows,
      totals,
    };
  }
}
