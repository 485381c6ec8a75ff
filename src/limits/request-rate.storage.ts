import { Inject, Injectable } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { RedisConnection } from '../redis/redis-connection.js';
import { RedisScript } from '../redis/redis-script.js';
import { FixedWindowCounter, type WindowHit } from './fixed-window.counter.js';
import { LimitFailover } from './limit-failover.js';

/** Counts a hit and starts the window on the first one, atomically: exact across any number of instances. */
const HIT = new RedisScript(`
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {hits, ttl}
`);

export interface ThrottlerRecord {
  totalHits: number;
  timeToExpire: number;
  isBlocked: boolean;
  timeToBlockExpire: number;
}

/**
 * @nestjs/throttler storage: Redis when `REDIS_URL` is set (shared by every instance), in-process
 * otherwise and, in fail-open mode, while Redis is unreachable. Windows are fixed and start at the
 * first hit; a request over the limit is blocked until its window ends.
 */
@Injectable()
export class RequestRateStorage implements ThrottlerStorage {
  private readonly local = new FixedWindowCounter();
  private readonly prefix: string;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly redis: RedisConnection,
    private readonly failover: LimitFailover,
  ) {
    this.prefix = `${config.redis.keyPrefix}rl:`;
  }

  /** The Redis key of a counter, when counters are kept in Redis. */
  sharedKey(key: string): string | undefined {
    return this.redis.client ? this.prefix + key : undefined;
  }

  async increment(key: string, ttl: number, limit: number): Promise<ThrottlerRecord> {
    const hit = await this.hit(key, ttl);
    const blocked = hit.hits > limit;
    const seconds = Math.max(1, Math.ceil(hit.ttlMs / 1000));
    return {
      totalHits: hit.hits,
      timeToExpire: seconds,
      isBlocked: blocked,
      timeToBlockExpire: blocked ? seconds : 0,
    };
  }

  private async hit(key: string, windowMs: number): Promise<WindowHit> {
    const client = this.redis.client;
    if (client) {
      try {
        const [hits, ttlMs] = (await HIT.run(client, [this.prefix + key], [windowMs])) as [number, number];
        return { hits, ttlMs };
      } catch (err) {
        this.failover.storeFailed('requests', err);
      }
    }
    return this.local.hit(key, windowMs);
  }
}
