import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { createApp, type CreateAppOptions } from '../../src/app.factory.js';
import type { AppConfig } from '../../src/config/app-config.js';

export interface RunningApp {
  app: NestFastifyApplication;
  log: Logger;
  baseUrl: string;
  close: () => Promise<void>;
}

/** Boots the real application on a random loopback port. */
export async function startApp(config: AppConfig, options: CreateAppOptions = {}): Promise<RunningApp> {
  const { app, log } = await createApp(config, options);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return { app, log, baseUrl: `http://127.0.0.1:${address.port}`, close: () => app.close() };
}
