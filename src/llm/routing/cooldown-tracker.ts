import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../../common/logging/logger.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { RedisConnection } from '../../redis/redis-connection.js';
import { type CooldownRule, CooldownStore, MemoryCooldownStore } from './cooldown.store.js';
import { RedisCooldownStore } from './redis.cooldown-store.js';

/** How often the shared cooldown list is read from Redis (how long another instance's verdict takes to arrive). */
export const COOLDOWN_SYNC_MS = 250;

export type TargetHealth = 'healthy' | 'cooling' | 'half-open';

/**
 * Which targets are kept out of rotation. Reads are local (no Redis round trip on the request path):
 * a mirror of the shared list, refreshed every `COOLDOWN_SYNC_MS` and on this instance's own writes.
 * A cooled target comes back half-open: one real call (never a billed health ping) is let through as
 * a probe; it succeeding clears the cooldown everywhere, failing cools the target again. When Redis
 * fails, the in-process store takes over until it answers again.
 */
@Injectable()
export class CooldownTracker implements OnApplicationShutdown {
  private readonly local = new MemoryCooldownStore();
  private readonly shared?: CooldownStore;
  private mirror = new Map<string, number>();
  private readonly timer?: NodeJS.Timeout;
  private lastWarnAt = 0;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    redis: RedisConnection,
    @Inject(ROOT_LOGGER) private readonly log: Logger,
  ) {
    if (redis.client) {
      this.shared = new RedisCooldownStore(redis.client, config.redis.keyPrefix);
      this.timer = setInterval(() => void this.sync(), COOLDOWN_SYNC_MS);
      this.timer.unref();
    }
  }

  health(id: string, now = Date.now()): TargetHealth {
    const until = this.mirror.get(id);
    if (until === undefined) return 'healthy';
    return until > now ? 'cooling' : 'half-open';
  }

  /** When a cooling target comes back (ms since epoch), for `Retry-After`. */
  coolingUntil(id: string): number | undefined {
    return this.mirror.get(id);
  }

  snapshot(): ReadonlyMap<string, number> {
    return this.mirror;
  }

  async failure(id: string, rule: CooldownRule, coolNow: boolean): Promise<void> {
    if (rule.failures === 0) return;
    const until = await this.store((s) => s.failure(id, rule, coolNow));
    if (until > 0) {
      this.mirror.set(id, until);
      this.log.warn(
        { target: id, seconds: Math.round(rule.durationMs / 1000) },
        'routing target cooled down',
      );
    }
  }

  /** Only a target that was out needs a write: healthy successes cost nothing. */
  async success(id: string): Promise<void> {
    if (!this.mirror.has(id)) return;
    this.mirror.delete(id);
    await this.store((s) => s.recovered(id));
    this.log.info({ target: id }, 'routing target recovered');
  }

  claimProbe(id: string, ttlMs: number): Promise<boolean> {
    return this.store((s) => s.claimProbe(id, ttlMs));
  }

  releaseProbe(id: string): Promise<void> {
    return this.store((s) => s.releaseProbe(id));
  }

  /** Reads the shared list now (tests, and the timer). */
  async sync(): Promise<void> {
    if (!this.shared) {
      this.mirror = await this.local.all();
      return;
    }
    try {
      this.mirror = await this.shared.all();
    } catch (err) {
      this.warn(err);
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  private async store<T>(op: (s: CooldownStore) => Promise<T>): Promise<T> {
    if (this.shared) {
      try {
        return await op(this.shared);
      } catch (err) {
        this.warn(err);
      }
    }
    return op(this.local);
  }

  private warn(err: unknown): void {
    const now = Date.now();
    if (now - this.lastWarnAt < 10_000) return;
    this.lastWarnAt = now;
    this.log.warn(
      { err: err instanceof Error ? err.message : String(err) },
      'cooldown store unavailable; using in-process state',
    );
  }
}
