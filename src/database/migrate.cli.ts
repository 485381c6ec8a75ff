import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ConfigError, loadAppConfig } from '../config/load-config.js';
import { buildDataSourceOptions } from './data-source.options.js';
import { DatabaseEndpoint } from './database-endpoint.js';

/** `npm run migration:run`: applies pending migrations to DATABASE_URL or the embedded database. */
async function main(): Promise<void> {
  const config = loadAppConfig();
  const endpoint = await DatabaseEndpoint.resolve(config);
  const ds = new DataSource(buildDataSourceOptions({ url: endpoint.url, poolSize: 2, migrateOnBoot: false }));
  try {
    await ds.initialize();
    const applied = await ds.runMigrations({ transaction: 'each' });
    process.stdout.write(
      applied.length === 0
        ? `No pending migrations (${endpoint.kind} database).\n`
        : `Applied ${applied.length} migration(s) to the ${endpoint.kind} database: ${applied.map((m) => m.name).join(', ')}\n`,
    );
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await endpoint.onApplicationShutdown();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${err instanceof ConfigError ? err.message : `Migration failed: ${err instanceof Error ? err.message : String(err)}`}\n`,
  );
  process.exit(1);
});
