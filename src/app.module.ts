import { type DynamicModule, Module, type Type } from '@nestjs/common';
import type { Logger } from 'pino';
import { AuthModule } from './auth/auth.module.js';
import { CacheModule } from './cache/cache.module.js';
import { CoreModule } from './common/lifecycle/core.module.js';
import type { AppConfig } from './config/app-config.js';
import { AppConfigModule } from './config/config.module.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { LlmModule } from './llm/llm.module.js';
import { ChatWsModule } from './llm/ws/chat-ws.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { PlaygroundModule } from './playground/playground.module.js';
import { RedisModule } from './redis/redis.module.js';
import { TemplatesModule } from './templates/templates.module.js';
import { VectorModule } from './vector/vector.module.js';

@Module({})
export class AppModule {
  static register(config: AppConfig, log: Logger, extra: Array<Type | DynamicModule> = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.register(log),
        AppConfigModule.register(config),
        DatabaseModule,
        RedisModule,
        MetricsModule,
        CacheModule,
        TemplatesModule,
        AuthModule,
        LlmModule,
        VectorModule,
        ChatWsModule,
        HealthModule,
        PlaygroundModule,
        ...extra,
      ],
    };
  }
}
