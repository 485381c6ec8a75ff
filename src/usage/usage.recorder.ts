import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { UsageRecord } from './usage-record.js';
import { UsageStore } from './usage.store.js';

/**
 * Rows per INSERT (16 columns × 500 rows, far below PostgreSQL's 65,535 bind parameters). Small
 * batches keep each statement's preparation on the event loop short; the drain yields between them.
 */
const BATCH_ROWS = 500;
/** While the database is unreachable, keep this many records; beyond it the oldest are dropped and counted. */
const MAX_BUFFERED = 200_000;

/**
 * Takes usage records off the request path: `record` only appends to memory; a timer writes batches
 * with one INSERT each. On shutdown (after the drain let in-flight calls finish) everything left is
 * written before the database closes.
 */
@Injectable()
export class UsageRecorder implements OnModuleInit, OnModuleDestroy, BeforeApplicationShutdown {
  private buffer: UsageRecord[] = [];
  private flushing?: Promise<void>;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly store: UsageStore,
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly log: Logger,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.config.usage.flushIntervalMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  record(r: UsageRecord): void {
    this.buffer.push(r);
    if (this.buffer.length > MAX_BUFFERED) {
      const dropped = this.buffer.length - MAX_BUFFERED;
      this.buffer.splice(0, dropped);
      this.metrics.usageDropped.inc(dropped);
    }
  }

  get pending(): number {
    return this.buffer.length;
  }

  /** Writes everything buffered so far; concurrent callers share one run. */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.splice(0, BATCH_ROWS);
      try {
        await this.store.insert(batch);
        // Let queued requests run before preparing the next statement.
        if (this.buffer.length > 0) await new Promise((resolve) => setImmediate(resolve));
      } catch (err) {
        // Put the batch back in front and try again on the next tick.
        this.buffer.unshift(...batch);
        this.log.warn(
          { err: err instanceof Error ? err.message : String(err), pending: this.buffer.length },
          'usage records not written yet',
        );
        return;
      }
    }
  }
}
