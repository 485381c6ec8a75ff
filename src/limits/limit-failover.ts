import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { GatewayError } from '../common/errors/gateway-error.js';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import { APP_CONFIG, type AppConfig, type FailMode } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';

export type Limiter = 'requests' | 'tokens' | 'budget';

/**
 * What happens when the shared limit store (Redis) fails: `open` counts in-process instead (limits
 * then hold per instance only), `closed` refuses the request with 503. Either way a metric counts it
 * and a log line (at most one per limiter every 10 s) says so.
 */
@Injectable()
export class LimitFailover {
  private readonly lastLogAt = new Map<Limiter, number>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly metrics: MetricsService,
    @Inject(ROOT_LOGGER) private readonly log: Logger,
  ) {}

  modeFor(limiter: Limiter): FailMode {
    return limiter === 'budget' ? this.config.limits.budgetFailMode : this.config.limits.rateFailMode;
  }

  /** Returns when the caller should fall back in-process; throws the 503 when the mode is closed. */
  storeFailed(limiter: Limiter, err: unknown): void {
    const mode = this.modeFor(limiter);
    this.metrics.limitStoreFailures.inc({ limiter, mode });
    const now = Date.now();
    if (now - (this.lastLogAt.get(limiter) ?? 0) >= 10_000) {
      this.lastLogAt.set(limiter, now);
      this.log.warn(
        { limiter, mode, err: err instanceof Error ? err.message : String(err) },
        mode === 'open'
          ? 'limit store unavailable: counting in-process'
          : 'limit store unavailable: refusing requests',
      );
    }
    if (mode === 'closed') {
      throw new GatewayError(
        'service_unavailable',
        'Usage limits cannot be checked right now; try again shortly.',
        { retryable: true, retryAfterMs: 1000 },
      );
    }
  }
}
