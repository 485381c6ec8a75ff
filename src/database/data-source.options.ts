import type { DataSourceOptions } from 'typeorm';
import { ALL_MIGRATIONS } from '../../migrations/index.js';

export interface DataSourceSettings {
  url: string;
  poolSize: number;
  migrateOnBoot: boolean;
  /** Entity classes registered by feature modules. */
  entities?: DataSourceOptions['entities'];
}

/** The one place connection options are built, for the app, the migration CLI and TypeORM's CLI. */
export function buildDataSourceOptions(s: DataSourceSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url: s.url,
    entities: s.entities ?? [],
    migrations: ALL_MIGRATIONS,
    migrationsRun: s.migrateOnBoot,
    migrationsTableName: 'gateway_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    // Extensions come from migrations (which know what they need), never from TypeORM's guesses.
    installExtensions: false,
    logging: ['error', 'warn', 'migration'],
    poolSize: s.poolSize,
    extra: { connectionTimeoutMillis: 5000, idleTimeoutMillis: 30000 },
    applicationName: 'superlightrag-gateway',
  };
}
