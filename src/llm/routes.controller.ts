import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { GatewayError } from '../common/errors/gateway-error.js';
import { ApiErrorResponses } from '../common/swagger/api-error-responses.decorator.js';
import { RouteTable } from './routing/route-table.js';

class RouteTargetDto {
  @ApiProperty({ example: 'openai/gpt-4o-mini' }) id: string;
  @ApiProperty({ example: 'openai' }) provider: string;
  @ApiProperty({ example: 'gpt-4o-mini' }) model: string;
  @ApiProperty() weight: number;
  @ApiProperty({ enum: ['healthy', 'cooling', 'half-open'] }) state: 'healthy' | 'cooling' | 'half-open';
  @ApiProperty({ type: String, nullable: true, description: 'When a cooling target is tried again' })
  cooling_until: string | null;
  @ApiProperty({ description: 'Calls this instance has in flight to the target' }) in_flight: number;
  @ApiProperty({ type: Number, nullable: true, description: 'Average time to first byte (EWMA), ms' })
  ewma_ms: number | null;
}

class RouteDto {
  @ApiProperty({ example: 'fast' }) alias: string;
  @ApiProperty({ enum: ['fallback', 'weighted', 'least-busy', 'latency'] }) strategy: string;
  @ApiProperty({ type: [RouteTargetDto] }) targets: RouteTargetDto[];
}

class RouteListDto {
  @ApiProperty({ type: [RouteDto] }) data: RouteDto[];
}

/** The routing table as this instance sees it (admin only: it names every deployment). */
@ApiTags('routing')
@ApiBearerAuth()
@Controller('api/routes')
export class RoutesController {
  constructor(private readonly table: RouteTable) {}

  @Get()
  @ApiOperation({ summary: 'Aliases, their targets, health, in-flight calls and latency (EWMA)' })
  @ApiOkResponse({ type: RouteListDto })
  @ApiErrorResponses(400, 401, 403)
  list(): RouteListDto {
    return { data: this.table.views() };
  }

  @Post('reload')
  @HttpCode(200)
  @ApiOperation({ summary: 'Re-read GATEWAY_CONFIG (as SIGHUP does); an invalid file changes nothing' })
  @ApiOkResponse({ type: RouteListDto })
  @ApiErrorResponses(400, 401, 403)
  reload(): RouteListDto {
    const problems = this.table.reload();
    if (problems.length > 0) {
      throw new GatewayError('invalid_request_error', `GATEWAY_CONFIG is invalid: ${problems.join('; ')}`);
    }
    return { data: this.table.views() };
  }
}
