import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { buildDataSourceOptions } from './data-source.options.js';
import { DatabaseEndpoint } from './database-endpoint.js';

/**
 * Imported by TypeORM's core module, so it sits deeper in the module graph: Nest shuts modules down
 * shallowest first, which closes TypeORM's pool before the embedded server stops.
 */
@Module({
  providers: [
    {
      provide: DatabaseEndpoint,
      inject: [APP_CONFIG],
      useFactory: (c: AppConfig) => DatabaseEndpoint.resolve(c),
    },
  ],
  exports: [DatabaseEndpoint],
})
export class DatabaseEndpointModule {}

/**
 * TypeORM over `pg`, against `DATABASE_URL` or the embedded PGlite. Migrations run at boot unless
 * `DB_MIGRATE_ON_BOOT=false`. Feature modules use `TypeOrmModule.forFeature` (entities auto-load).
 */
@Module({
  imports: [
    DatabaseEndpointModule,
    TypeOrmModule.forRootAsync({
      imports: [DatabaseEndpointModule],
      inject: [APP_CONFIG, DatabaseEndpoint],
      useFactory: (config: AppConfig, endpoint: DatabaseEndpoint) => ({
        ...buildDataSourceOptions({
          url: endpoint.url,
          poolSize: config.database.poolSize,
          migrateOnBoot: config.database.migrateOnBoot,
        }),
        autoLoadEntities: true,
        retryAttempts: 2,
        retryDelay: 1000,
      }),
    }),
  ],
  exports: [DatabaseEndpointModule],
})
export class DatabaseModule {}
