import { CacheModule as NestCacheModule } from '@nestjs/cache-manager';
import { Module } from '@nestjs/common';
import KeyvRedis from '@keyv/redis';
import { Keyv } from 'keyv';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { RedisConnection } from '../redis/redis-connection.js';

/**
 * cache-manager 7 over Keyv: the shared Redis client when `REDIS_URL` is set (`@keyv/redis`),
 * otherwise an in-process map. The prefix is set once, on the Redis store, so keys are not
 * double-prefixed.
 */
@Module({
  imports: [
    NestCacheModule.registerAsync({
      isGlobal: true,
      inject: [APP_CONFIG, RedisConnection],
      useFactory: (config: AppConfig, redis: RedisConnection) => {
        if (!redis.client) return { stores: [new Keyv()] };
        const store = new KeyvRedis(redis.client, {
          namespace: `${config.redis.keyPrefix}cache`,
          throwOnConnectError: false,
        });
        return { stores: [new Keyv({ store, useKeyPrefix: false })] };
      },
    }),
  ],
})
export class CacheModule {}
