import { type ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerRequest } from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../common/errors/gateway-error.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { PendingRequestLimits, VERDICT_IN_HANDLER } from './pending-request-limits.js';
import type { ThrottlerRecord } from './request-rate.storage.js';

/** The throttlers `limits.module.ts` configures. */
export const GLOBAL_THROTTLER = 'global';
export const KEY_THROTTLER = 'key';
export type RequestThrottler = typeof GLOBAL_THROTTLER | typeof KEY_THROTTLER;

/** Every request limit counts per minute. */
export const REQUEST_WINDOW_MS = 60_000;

/** The storage key of one counter (`global:all`, `key:<keyId>`): the HTTP guard and WebSocket share them. */
export function requestCounterKey(throttler: string, tracker: string): string {
  return `${throttler}:${tracker}`;
}

/** The 429 for a request over `limit`; `retryInSeconds` is what is left of the window. */
export function requestLimitExceeded(throttler: string, limit: number, retryInSeconds: number): GatewayError {
  const whose = throttler === KEY_THROTTLER ? 'this API key' : 'this gateway';
  return new GatewayError(
    'rate_limit_exceeded',
    `Rate limit reached for requests: ${limit} per minute for ${whose}. Try again in ${retryInSeconds}s.`,
    { retryAfterMs: retryInSeconds * 1000 },
  );
}

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
    const targets = [p.context.getHandler(), p.context.getClass()];
    const deferred = this.reflector.getAllAndOverride<boolean | undefined>(VERDICT_IN_HANDLER, targets);
    // A request refused by an earlier throttler (the global limit) is not counted by a later one (the
    // key's), deferred or not: with both active, the earlier verdict is awaited first.
    if (deferred && req.requestLimits) await req.requestLimits.verdict();
    const verdict = this.storageService
      .increment(key, p.ttl, p.limit, p.blockDuration, name)
      .then((record) => this.judge(reply, name, p.limit, record));
    if (deferred) {
      (req.requestLimits ??= new PendingRequestLimits()).add({ key, limit: p.limit }, verdict);
      return true;
    }
    await verdict;
    return true;
  }

  private judge(reply: FastifyReply, name: string, limit: number, record: ThrottlerRecord): void {
    void reply
      .header('x-ratelimit-limit-requests', limit)
      .header('x-ratelimit-remaining-requests', Math.max(0, limit - record.totalHits))
      .header('x-ratelimit-reset-requests', `${record.timeToExpire}s`);
    if (record.isBlocked) {
      this.metrics?.rateLimitRejections.inc({ limit: name === KEY_THROTTLER ? 'rpm_key' : 'rpm_global' });
      throw requestLimitExceeded(name, limit, record.timeToBlockExpire);
    }
  }

  /** Only the HTTP context is throttled here; WebSocket requests are limited per message by the gateway. */
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    return super.canActivate(context);
  }
}
