import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../logging/logger.js';
import { ShutdownState } from './shutdown-state.js';

/** Process-wide singletons every feature may inject: the root logger and the drain state. */
@Global()
@Module({})
export class CoreModule {
  static register(log: Logger): DynamicModule {
    return {
      module: CoreModule,
      providers: [{ provide: ROOT_LOGGER, useValue: log }, ShutdownState],
      exports: [ROOT_LOGGER, ShutdownState],
    };
  }
}
