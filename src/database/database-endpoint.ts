import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import type { AppConfig } from '../config/app-config.js';
import { EmbeddedPostgres } from './embedded-postgres.js';

/** Extra socket-server slots beyond the pool, for the migration runner and health checks. */
const EMBEDDED_SPARE_CONNECTIONS = 4;

/**
 * Where the database is: `DATABASE_URL`, or an embedded PGlite started on demand. Stops the embedded
 * server last, after TypeORM's pool has closed.
 */
@Injectable()
export class DatabaseEndpoint implements OnApplicationShutdown {
  private constructor(
    readonly url: string,
    readonly embedded?: EmbeddedPostgres,
  ) {}

  static async resolve(config: AppConfig): Promise<DatabaseEndpoint> {
    if (config.database.url) return new DatabaseEndpoint(config.database.url);
    const embedded = await EmbeddedPostgres.start(
      config.database.dataDir,
      config.database.poolSize + EMBEDDED_SPARE_CONNECTIONS,
    );
    return new DatabaseEndpoint(embedded.url, embedded);
  }

  get kind(): 'postgres' | 'embedded' {
    return this.embedded ? 'embedded' : 'postgres';
  }

  async onApplicationShutdown(): Promise<void> {
    await this.embedded?.stop();
  }
}
