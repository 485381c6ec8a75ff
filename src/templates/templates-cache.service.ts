import { randomUUID } from 'node:crypto';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { InvalidationChannel } from '../cache/stores/invalidation.channel.js';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { RedisConnection } from '../redis/redis-connection.js';
import { TemplateCache } from './template.cache.js';

/** Name → version mappings live this long while invalidations from other instances are heard ... */
const REF_TTL_SYNCED_MS = 300_000;
/** ... and this long otherwise (no Redis, or its subscription is down): a PUT elsewhere shows within a second. */
const REF_TTL_UNSYNCED_MS = 1_000;
const HEARTBEAT_MS = 500;
const ERROR_LOG_INTERVAL_MS = 10_000;

function isTemplateRef(value: unknown): value is [string, string] {
  return (
    Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string'
  );
}

/**
 * The template cache of this instance, kept coherent with the others: a PUT or DELETE invalidates
 * locally and publishes `[tenant, name]` on `<keyPrefix>templates:invalidate` (with `REDIS_URL`); a
 * duplicate connection subscribes. Whenever the subscription is not known to be live, every name
 * mapping is dropped (messages may have been missed) and new ones live a second only.
 */
@Injectable()
export class TemplatesCacheService implements OnModuleInit, OnApplicationShutdown {
  readonly cache = new TemplateCache();
  private channel?: InvalidationChannel;
  private lastErrorLogAt = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly redis: RedisConnection,
    @Inject(ROOT_LOGGER) private readonly log: Logger,
  ) {}

  onModuleInit(): void {
    const client = this.redis.client;
    if (!client) return;
    this.channel = new InvalidationChannel({
      client,
      channel: `${this.config.redis.keyPrefix}templates:invalidate`,
      instanceId: randomUUID(),
      heartbeatMs: HEARTBEAT_MS,
      onInvalidate: (_op, value) => this.onRemoteInvalidation(value),
      onSyncChange: () => this.cache.clearRefs(),
      onError: (err) => this.logError(err),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.channel?.close();
  }

  /** Whether invalidations published by other instances reach this one. */
  get synced(): boolean {
    return this.channel?.isSynced ?? false;
  }

  /** When a name mapping read now should expire. */
  refExpiry(now: number): number {
    return now + (this.synced ? REF_TTL_SYNCED_MS : REF_TTL_UNSYNCED_MS);
  }

  /** After a committed PUT or DELETE: here at once, elsewhere once Redis delivers. */
  async invalidate(tenant: string, name: string): Promise<void> {
    this.cache.invalidate(tenant, name);
    await this.channel?.publish('key', JSON.stringify([tenant, name]));
  }

  private onRemoteInvalidation(value: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      return;
    }
    if (isTemplateRef(parsed)) this.cache.invalidate(parsed[0], parsed[1]);
  }

  private logError(err: unknown): void {
    const now = Date.now();
    if (now - this.lastErrorLogAt < ERROR_LOG_INTERVAL_MS) return;
    this.lastErrorLogAt = now;
    this.log.warn(
      { err: err instanceof Error ? err.message : String(err) },
      'template cache sync unavailable',
    );
  }
}
