import { Controller, Delete, Get, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import { isAdmin, type Principal, tenantOf } from '../auth/principal.js';
import { Scopes } from '../auth/scopes.decorator.js';
import { type CacheStats, ResponseCacheService } from '../cache/response-cache.service.js';
import { SemanticIndex } from '../cache/semantic/semantic-index.js';
import { GatewayError } from '../common/errors/gateway-error.js';
import { ApiErrorResponses } from '../common/swagger/api-error-responses.decorator.js';
import { cacheGlob } from './chat-cache.js';

class PurgeQueryDto {
  @ApiPropertyOptional({
    description: 'A key id, or `admin`; keys other than the admin may only name their own',
  })
  @IsOptional()
  @Matches(/^[\w-]{1,64}$/, { message: 'tenant must be a key id or admin' })
  tenant?: string;

  @ApiPropertyOptional({ example: 'openai/gpt-4o-mini', description: 'The resolved `provider/model`' })
  @IsOptional()
  @Matches(/^[\w.:@-]+\/[\w.:@/-]+$/, { message: 'model must be provider/model' })
  model?: string;
}

class PurgeResponseDto {
  @ApiProperty() deleted: number;
}

class CacheStatsDto {
  @ApiProperty() hits: number;
  @ApiProperty() semantic_hits: number;
  @ApiProperty() misses: number;
  @ApiProperty() bypasses: number;
  @ApiProperty() guard_rejections: number;
  @ApiProperty({ description: 'Entries that failed their integrity check (deleted, never served)' })
  corruptions: number;
  @ApiProperty() writes: number;
  @ApiProperty() bytes_written: number;
  @ApiProperty() evictions: number;
  @ApiPropertyOptional() entries?: number;
  @ApiPropertyOptional() bytes?: number;
  @ApiProperty({ enum: ['memory', 'redis', 'tiered'] }) store: string;
  @ApiProperty() encrypted: boolean;
}

@ApiTags('cache')
@ApiBearerAuth()
@Controller('api/cache')
export class CacheAdminController {
  constructor(
    private readonly cache: ResponseCacheService,
    private readonly index: SemanticIndex,
  ) {}

  @Get('stats')
  @Scopes()
  @ApiOperation({ summary: 'Response cache counters of this instance' })
  @ApiOkResponse({ type: CacheStatsDto })
  @ApiErrorResponses(400, 401, 500)
  stats(): CacheStats {
    return this.cache.stats();
  }

  @Delete()
  @Scopes()
  @ApiOperation({
    summary: 'Purge cached responses: all (admin), one tenant, one model, or both; a key purges its own',
  })
  @ApiOkResponse({ type: PurgeResponseDto })
  @ApiErrorResponses(400, 401, 403, 500)
  async purge(
    @Query() query: PurgeQueryDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<PurgeResponseDto> {
    let tenant = query.tenant;
    if (!isAdmin(principal)) {
      if (tenant !== undefined && tenant !== tenantOf(principal)) {
        throw new GatewayError('permission_error', "Only the admin may purge another tenant's cache.", {
          param: 'tenant',
        });
      }
      tenant = tenantOf(principal);
    }
    const deleted = await this.cache.purge(cacheGlob(tenant, query.model));
    // Index rows of purged answers would only ever lead to misses; drop them too.
    await this.index.purge(tenant, query.model);
    return { deleted };
  }
}
