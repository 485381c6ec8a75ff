import { CacheModule as NestCacheModule } from '@nestjs/cache-manager';
import { Module } from '@nestjs/common';
import KeyvRedis from '@keyv/redis';
import { Keyv } from 'keyv';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { RedisConnection } from '../redis/redis-connection.js';
import { ResponseCacheService } from './response-cache.service.js';
import { SemanticIndex } from './semantic/semantic-index.js';

/**
 * cache-manager 7 over Keyv: the shared Redis client when `REDIS_URL` is set (`@keyv/redis`),
 * otherwise an in-process map. Keys are `<REDIS_KEY_PREFIX>cache::<key>`. The response cache
 * (`ResponseCacheService`) has stores of its own: size bounds, eviction policies, tiering and
 * cross-instance invalidation are beyond cache-manager's stores.
 */
@Module({
  imports: [
    NestCacheModule.registerAsync({
      isGlobal: true,
      inject: [APP_CONFIG, RedisConnection],
      useFactory: (config: AppConfig, redis: RedisConnection) => {
        if (!redis.client) return { stores: [new Keyv()] };
        // Keyv hands its namespace down to the store, so it is set here only.
        const store = new KeyvRedis(redis.client, { throwOnConnectError: false });
        return {
          stores: [new Keyv({ store, namespace: `${config.redis.keyPrefix}cache`, useKeyPrefix: false })],
        };
      },
    }),
  ],
  providers: [ResponseCacheService, SemanticIndex],
  exports: [ResponseCacheService, SemanticIndex],
})
export class CacheModule {}
