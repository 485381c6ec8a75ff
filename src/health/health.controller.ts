import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  type HealthCheckResult,
  HealthIndicatorService,
  MemoryHealthIndicator,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { ShutdownState } from '../common/lifecycle/shutdown-state.js';
import { Public } from '../auth/public.decorator.js';
import { RedisConnection } from '../redis/redis-connection.js';
import { DatabaseEndpoint } from '../database/database-endpoint.js';
import { RouteTable } from '../llm/routing/route-table.js';

/** Heap above this fails readiness: the instance should be replaced rather than fed more work. */
const HEAP_LIMIT_BYTES = 1536 * 1024 * 1024;

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly memory: MemoryHealthIndicator,
    private readonly redis: RedisConnection,
    private readonly shutdown: ShutdownState,
    @Inject(DatabaseEndpoint) private readonly endpoint: DatabaseEndpoint,
    private readonly routes: RouteTable,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is up and its event loop answers' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary: 'Readiness: database, Redis (when configured), heap, routing targets; 503 while draining',
  })
  @ApiServiceUnavailableResponse({ description: 'A dependency is down, or the instance is draining' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult | string | object> {
    try {
      return await this.health.check(this.readinessChecks());
    } catch (err) {
      // Terminus reports "not ready" as an exception carrying the full result; keep that body.
      if (!(err instanceof ServiceUnavailableException)) throw err;
      void reply.status(503);
      return err.getResponse();
    }
  }

  private readinessChecks() {
    return [
      () => this.drainCheck(),
      () => this.db.pingCheck('database', { timeout: 1500 }).then((r) => this.withKind(r)),
      ...(this.redis.configured ? [() => this.redisCheck()] : []),
      () => this.memory.checkHeap('heap', HEAP_LIMIT_BYTES),
      () => this.routingCheck(),
    ];
  }

  /**
   * Routing targets and their state, for operators. Always "up": a cooled upstream is the router's
   * business (it falls back), and taking every instance out of rotation for it would only add an outage.
   */
  private routingCheck() {
    const targets: Record<string, string> = {};
    for (const r of this.routes.views()) for (const t of r.targets) targets[t.id] = t.state;
    return this.indicators.check('routing').up({ targets });
  }

  private drainCheck() {
    const indicator = this.indicators.check('lifecycle');
    if (this.shutdown.draining) {
      // Terminus turns any thrown error into 503 with the details; this one says why.
      return indicator.down({ state: 'draining' });
    }
    return indicator.up({ state: 'serving' });
  }

  private withKind<T extends Record<string, unknown>>(result: T): T {
    const db = result.database as Record<string, unknown> | undefined;
    if (db) db.kind = this.endpoint.kind;
    return result;
  }

  private async redisCheck() {
    const indicator = this.indicators.check('redis');
    try {
      await this.redis.ping(1000);
      return indicator.up();
    } catch (err) {
      return indicator.down({ message: err instanceof Error ? err.message : 'unavailable' });
    }
  }
}
