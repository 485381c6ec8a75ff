import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { createClient, type RedisClientType } from '@redis/client';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';

/** Exponential backoff with jitter, capped, forever: Redis may come back at any time. */
export function reconnectDelayMs(retries: number): number {
  const base = Math.min(100 * 2 ** Math.min(retries, 10), 5000);
  return Math.round(base / 2 + Math.random() * (base / 2));
}

/**
 * The one shared Redis client when `REDIS_URL` is set. Commands fail fast while Redis is down
 * (no offline queue), so callers fall back instead of piling up; the client keeps reconnecting.
 */
@Injectable()
export class RedisConnection implements OnApplicationShutdown {
  readonly client?: RedisClientType;
  private lastErrorLogAt = 0;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly log: Logger,
  ) {
    const url = config.redis.url;
    if (!url) return;
    this.client = createClient({
      url,
      disableOfflineQueue: true,
      socket: { connectTimeout: 2000, reconnectStrategy: reconnectDelayMs },
    });
    this.client.on('error', (err: Error) => this.logError(err));
    this.client.on('ready', () => this.log.info('redis ready'));
    // Boot does not wait for Redis: the service runs without it and readiness reports it down.
    this.client.connect().catch((err: unknown) => this.logError(err));
  }

  get configured(): boolean {
    return this.client !== undefined;
  }

  get ready(): boolean {
    return this.client?.isReady ?? false;
  }

  async ping(timeoutMs = 1000): Promise<void> {
    if (!this.client) throw new Error('redis not configured');
    if (!this.client.isReady) throw new Error('redis not connected');
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.client.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('redis ping timed out')), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.client?.isOpen) return;
    try {
      await this.client.close();
    } catch {
      this.client.destroy();
    }
  }

  /** At most one line per 10 s while Redis stays down. */
  private logError(err: unknown): void {
    const now = Date.now();
    if (now - this.lastErrorLogAt < 10_000) return;
    this.lastErrorLogAt = now;
    this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'redis unavailable');
  }
}
