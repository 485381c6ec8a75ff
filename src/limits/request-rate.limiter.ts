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
import { PendingRequestLimits } from './pending-request-limits.js';
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

  /**
   * Counts the request without waiting for the last count's answer: the caller awaits the verdict
   * (`verdict()` throws `rate_limit_exceeded` with the time left in the window) together with its
   * token reservation, as the HTTP guard leaves it to the chat completions handler.
   * Same order as the throttlers: with both limits on, the global verdict comes first, so a request
   * refused by it is not counted per key. Undefined when no limit applies.
   */
  async begin(principal: Principal): Promise<PendingRequestLimits | undefined> {
    const pending = new PendingRequestLimits();
    const globalRpm = this.config.limits.globalRpm;
    if (globalRpm > 0) this.hit(pending, GLOBAL_THROTTLER, 'all', globalRpm);
    const rpm = principal.limits.rpm;
    if (rpm && principal.keyId) {
      if (pending.counters.length > 0) await pending.verdict();
      this.hit(pending, KEY_THROTTLER, principal.keyId, rpm);
    }
    return pending.counters.length > 0 ? pending : undefined;
  }

  private hit(
    pending: PendingRequestLimits,
    throttler: RequestThrottler,
    tracker: string,
    limit: number,
  ): void {
    const key = requestCounterKey(throttler, tracker);
    const verdict = this.storage.increment(key, REQUEST_WINDOW_MS, limit).then((record) => {
      if (!record.isBlocked) return;
      this.metrics.rateLimitRejections.inc({ limit: throttler === KEY_THROTTLER ? 'rpm_key' : 'rpm_global' });
      throw requestLimitExceeded(throttler, limit, record.timeToBlockExpire);
    });
    pending.add({ key, limit }, verdict);
  }
}
