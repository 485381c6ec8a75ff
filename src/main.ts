import 'reflect-metadata';
import { createApp } from './app.factory.js';
import { ConfigError, loadAppConfig } from './config/load-config.js';
import type { AppConfig } from './config/app-config.js';
import { installGracefulShutdown } from './graceful-shutdown.js';

function readConfig(): AppConfig {
  try {
    return loadAppConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const { app, log } = await createApp(config);
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'));
  await app.listen({ port: config.server.port, host: config.server.host });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  log.info(
    {
      host: config.server.host,
      port,
      database: config.database.url ? 'postgres' : 'embedded',
      redis: Boolean(config.redis.url),
    },
    'listening',
  );
  installGracefulShutdown(app, config.server.shutdownTimeoutMs, log);
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`Failed to start: ${message}\n`);
  process.exit(1);
});
