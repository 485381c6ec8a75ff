import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal.js';
import { toGatewayError } from '../common/errors/error-envelope.js';
import type { TokenReservation } from '../limits/token-limiter.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { UsageRecorder } from '../usage/usage.recorder.js';
import type { Usage } from './core/chat.types.js';
import type { ModelPricing } from './registry/model-info.js';

/** nginx's "client closed request": the caller went away before the answer was complete. */
export const CLIENT_CLOSED = 499;

export interface CallContext {
  requestId: string;
  principal: Principal;
  endpoint: 'chat' | 'embeddings';
  /** As the client named it. */
  model: string;
  provider: string;
  /** The upstream's model name. */
  target: string;
  stream: boolean;
  pricing: ModelPricing;
  reservation: TokenReservation;
  /** Counted before the call; stands in for the upstream's count when a call ends without usage. */
  promptTokens: number;
}

export function costUsd(pricing: ModelPricing, promptTokens: number, completionTokens: number): number {
  return (promptTokens * pricing.inputPerMTok + completionTokens * pricing.outputPerMTok) / 1_000_000;
}

/**
 * One model call's accounting, closed exactly once: settles the token reservation to the real usage,
 * appends the usage record (written later, in a batch) and updates the metrics.
 */
export class CallRecord {
  private readonly startedAt = performance.now();
  private ttftMs?: number;
  private closed = false;

  constructor(
    private ctx: CallContext,
    private readonly recorder: UsageRecorder,
    private readonly metrics: MetricsService,
  ) {}

  get promptTokens(): number {
    return this.ctx.promptTokens;
  }

  /** Routing moved the call: usage, cost and metrics go to the target that answered. */
  servedBy(provider: string, target: string, pricing: ModelPricing): void {
    this.ctx = { ...this.ctx, provider, target, pricing };
  }

  firstToken(): void {
    this.ttftMs ??= performance.now() - this.startedAt;
  }

  /** The response cache's verdict on this call (`bypass` when it was not consulted). */
  cache: 'hit' | 'semantic-hit' | 'miss' | 'bypass' = 'bypass';

  succeed(usage: Usage): void {
    this.close(200, usage.promptTokens, usage.completionTokens);
  }

  /** Served from the response cache: the tokens are reported (prompt tokens as cached) at no cost. */
  servedFromCache(usage: Usage, cache: 'hit' | 'semantic-hit'): void {
    this.cache = cache;
    this.close(200, usage.promptTokens, usage.completionTokens, true);
  }

  /** `completionSoFar`: tokens already streamed before the failure (they were produced, so they count). */
  fail(err: unknown, completionSoFar = 0): void {
    const error = toGatewayError(err);
    if (error.provider) this.metrics.upstreamErrors.inc({ provider: error.provider, code: error.code });
    this.close(error.status, completionSoFar > 0 ? this.ctx.promptTokens : 0, completionSoFar);
  }

  clientClosed(completionSoFar: number): void {
    this.close(CLIENT_CLOSED, this.ctx.promptTokens, completionSoFar);
  }

  private close(status: number, promptTokens: number, completionTokens: number, fromCache = false): void {
    if (this.closed) return;
    this.closed = true;
    const c = this.ctx;
    const latencyMs = performance.now() - this.startedAt;
    const cost = fromCache ? 0 : costUsd(c.pricing, promptTokens, completionTokens);
    c.reservation.settle(promptTokens + completionTokens, cost);
    this.recorder.record({
      at: new Date(),
      requestId: c.requestId,
      keyId: c.principal.keyId,
      endpoint: c.endpoint,
      model: c.model,
      provider: c.provider,
      targetModel: c.target,
      promptTokens,
      completionTokens,
      cachedTokens: fromCache ? promptTokens : 0,
      costUsd: cost,
      latencyMs,
      ttftMs: this.ttftMs,
      status,
      cache: this.cache,
      stream: c.stream,
    });
    const series = this.metrics.llmSeries(c.endpoint, c.model, c.provider, c.target);
    series.requests(status).inc();
    series.duration.observe(latencyMs / 1000);
    if (this.ttftMs !== undefined) series.ttft.observe(this.ttftMs / 1000);
    if (promptTokens > 0) series.promptTokens.inc(promptTokens);
    if (completionTokens > 0) series.completionTokens.inc(completionTokens);
    if (cost > 0) series.cost.inc(cost);
  }
}

@Injectable()
export class CallLedger {
  constructor(
    private readonly recorder: UsageRecorder,
    private readonly metrics: MetricsService,
  ) {}

  open(ctx: CallContext): CallRecord {
    return new CallRecord(ctx, this.recorder, this.metrics);
  }
}
