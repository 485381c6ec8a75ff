import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import {
  GLOBAL_THROTTLER,
  KEY_THROTTLER,
  REQUEST_WINDOW_MS,
  requestCounterKey,
  requestLimitExceeded,
  type RequestThrottler,
} from './request-limit.guard.js';
import { RequestRateStorage } from './request-rate.storage.js';

/**
 * Counts one request against the global and the key's per-minute limits, on the very counters the
 * HTTP throttler uses, for edges the guard does not see (each WebSocket `chat.request`). So a key's
 * rpm is one budget across REST and WebSocket.
 */
@Injectable()
export class RequestRateLimiter {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly storage: RequestRateStorage,
    private readonly metrics: MetricsService,
  ) {}

  /** Throws `rate_limit_exceeded` (with the time left in the window) when a limit is reached. */
  async count(principal: Principal): Promise<void> {
    // Same order as the throttlers: a request refused by the global limit is not counted per key.
    const globalRpm = this.config.limits.globalRpm;
    if (globalRpm > 0) await this.hit(GLOBAL_THROTTLER, 'all', globalRpm);
    const rpm = principal.limits.rpm;
    if (rpm && principal.keyId) await this.hit(KEY_THROTTLER, principal.keyId, rpm);
  }

  private async hit(throttler: RequestThrottler, tracker: string, limit: number): Promise<void> {
    const key = requestCounterKey(throttler, tracker);
    const record = await this.storage.increment(key, REQUEST_WINDOW_MS, limit);
    if (!record.isBlocked) return;
    this.metrics.rateLimitRejections.inc({ limit: throttler === KEY_THROTTLER ? 'rpm_key' : 'rpm_global' });
    throw requestLimitExceeded(throttler, limit, record.timeToBlockExpire);
  }
}
