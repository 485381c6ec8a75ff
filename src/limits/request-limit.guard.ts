import { type ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerRequest } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../common/errors/gateway-error.js';
import { MetricsService } from '../metrics/metrics.service.js';

/** The throttlers `limits.module.ts` configures. */
export const GLOBAL_THROTTLER = 'global';
export const KEY_THROTTLER = 'key';

/**
 * @nestjs/throttler with the contract's headers and error: `x-ratelimit-*-requests` on every limited
 * response (the key's limit when it has one, else the global one), and over the limit a 429
 * `rate_limit_exceeded` with `Retry-After`. Runs after authentication (see AuthGuard), which put the
 * caller on the request.
 */
@Injectable()
export class RequestLimitGuard extends ThrottlerGuard {
  private metrics?: MetricsService;

  /** Set by the limits module: the throttler's constructor is not ours to extend. */
  useMetrics(metrics: MetricsService): void {
    this.metrics = metrics;
  }

  protected override async handleRequest(p: ThrottlerRequest): Promise<boolean> {
    const req = p.context.switchToHttp().getRequest<FastifyRequest>();
    const reply = p.context.switchToHttp().getResponse<FastifyReply>();
    const name = p.throttler.name ?? 'default';
    const tracker = await p.getTracker(req, p.context);
    const key = p.generateKey(p.context, tracker, name);
    const record = await this.storageService.increment(key, p.ttl, p.limit, p.blockDuration, name);
    void reply
      .header('x-ratelimit-limit-requests', p.limit)
      .header('x-ratelimit-remaining-requests', Math.max(0, p.limit - record.totalHits))
      .header('x-ratelimit-reset-requests', `${record.timeToExpire}s`);
    if (record.isBlocked) {
      this.metrics?.rateLimitRejections.inc({ limit: name === KEY_THROTTLER ? 'rpm_key' : 'rpm_global' });
      const whose = name === KEY_THROTTLER ? 'this API key' : 'this gateway';
      throw new GatewayError(
        'rate_limit_exceeded',
        `Rate limit reached for requests: ${p.limit} per minute for ${whose}. Try again in ${record.timeToBlockExpire}s.`,
        { retryAfterMs: record.timeToBlockExpire * 1000 },
      );
    }
    return true;
  }

  /** Only the HTTP context is throttled here; WebSocket requests are limited per message by the gateway. */
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    return super.canActivate(context);
  }
}
