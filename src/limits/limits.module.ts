import { Module, type OnModuleInit } from '@nestjs/common';
import type { ExecutionContext } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import type { Principal } from '../auth/principal.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { UsageModule } from '../usage/usage.module.js';
import { LimitFailover } from './limit-failover.js';
import {
  GLOBAL_THROTTLER,
  KEY_THROTTLER,
  REQUEST_WINDOW_MS,
  RequestLimitGuard,
  requestCounterKey,
} from './request-limit.guard.js';
import { RequestRateLimiter } from './request-rate.limiter.js';
import { RequestRateStorage } from './request-rate.storage.js';
import { TokenLimiter } from './token-limiter.js';

function principalOf(context: ExecutionContext): Principal | undefined {
  return context.switchToHttp().getRequest<FastifyRequest>().principal;
}

@Module({ providers: [LimitFailover, RequestRateStorage], exports: [LimitFailover, RequestRateStorage] })
class LimitStoresModule {}

/**
 * Request rates through @nestjs/throttler (a global limit and each key's rpm, counted in Redis when
 * configured), and token/budget reservations for model calls. The guard itself is invoked by the
 * AuthGuard, right after it identified the caller; edges without a guard (WebSocket messages) count
 * on the same counters through RequestRateLimiter.
 */
@Module({
  imports: [
    UsageModule,
    LimitStoresModule,
    ThrottlerModule.forRootAsync({
      imports: [LimitStoresModule],
      inject: [APP_CONFIG, RequestRateStorage],
      useFactory: (config: AppConfig, storage: RequestRateStorage) => ({
        storage,
        setHeaders: false,
        generateKey: (_ctx: ExecutionContext, tracker: string, name: string) =>
          requestCounterKey(name, tracker),
        throttlers: [
          {
            name: GLOBAL_THROTTLER,
            ttl: REQUEST_WINDOW_MS,
            limit: Math.max(1, config.limits.globalRpm),
            skipIf: () => config.limits.globalRpm === 0,
            getTracker: () => 'all',
          },
          {
            name: KEY_THROTTLER,
            ttl: REQUEST_WINDOW_MS,
            limit: (ctx: ExecutionContext) => principalOf(ctx)?.limits.rpm ?? 1,
            skipIf: (ctx: ExecutionContext) => !principalOf(ctx)?.limits.rpm,
            getTracker: (req: Record<string, unknown>) =>
              (req as unknown as FastifyRequest).principal?.keyId ?? '',
          },
        ],
      }),
    }),
  ],
  providers: [RequestLimitGuard, RequestRateLimiter, TokenLimiter],
  exports: [RequestLimitGuard, RequestRateLimiter, TokenLimiter, UsageModule],
})
export class LimitsModule implements OnModuleInit {
  constructor(
    private readonly guard: RequestLimitGuard,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.guard.useMetrics(this.metrics);
  }
}
