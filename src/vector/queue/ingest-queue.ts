import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { ROOT_LOGGER } from '../../common/logging/logger.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import { DocumentProcessor } from './document-processor.js';

/** How long shutdown waits for documents being processed before it leaves them for the next boot. */
const SHUTDOWN_GRACE_MS = 2_000;

/**
 * The bounded in-process queue of documents to process: at most `INGEST_QUEUE_MAX` waiting (uploads
 * reserve a place first and are refused with 503 when there is none), `INGEST_CONCURRENCY` processed
 * at once. The database is the source of truth: a document is `pending` until processed, so a boot
 * re-enqueues whatever an earlier process left `pending` or `processing`, and a shutdown simply
 * stops (unfinished documents stay in the database for the next boot).
 */
@Injectable()
export class IngestQueue implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly waiting: string[] = [];
  private readonly queued = new Set<string>();
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private reserved = 0;
  private stopping = false;

  constructor(
    private readonly processor: DocumentProcessor,
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly log: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    let rows: Array<{ id: string }>;
    try {
      rows = await this.db.query(
        "SELECT id FROM documents WHERE status IN ('pending', 'processing') ORDER BY created_at, id",
      );
    } catch (err) {
      // Not migrated yet (DB_MIGRATE_ON_BOOT=false): the rest of the gateway still starts.
      this.log.warn(
        { err: err instanceof Error ? err.message : String(err) },
        'unfinished documents could not be resumed',
      );
      return;
    }
    // Already accepted: resumed even beyond the bound (new uploads wait until there is room again).
    for (const { id } of rows) this.push(id);
    if (rows.length > 0) this.log.info({ documents: rows.length }, 'resuming unfinished documents');
    this.pump();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    this.waiting.length = 0;
    this.queued.clear();
    const inFlight = [...this.running.values()];
    if (inFlight.length === 0) return;
    const all = Promise.all(inFlight.map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), SHUTDOWN_GRACE_MS);
    });
    if ((await Promise.race([all, grace])) === 'timeout') {
      for (const r of inFlight) r.controller.abort(new Error('shutting down'));
      await all;
    }
    clearTimeout(timer);
  }

  /** Documents waiting (not yet being processed). */
  get size(): number {
    return this.waiting.length;
  }

  /** Takes a place in the queue for an upload about to be stored; false when the queue is full. */
  tryReserve(): boolean {
    if (this.stopping || this.waiting.length + this.reserved >= this.config.documents.queueMax) return false;
    this.reserved++;
    return true;
  }

  /** Gives back a reservation that was not used (a duplicate, or the upload failed). */
  release(): void {
    if (this.reserved > 0) this.reserved--;
  }

  /** Enqueues a stored document, using a reservation taken with `tryReserve`. */
  enqueue(id: string): void {
    this.release();
    if (this.stopping) return;
    this.push(id);
    this.pump();
  }

  /** Forgets a deleted document: dropped from the queue, its processing stopped. */
  cancel(ids: readonly string[]): void {
    for (const id of ids) {
      if (this.queued.delete(id)) {
        const i = this.waiting.indexOf(id);
        if (i >= 0) this.waiting.splice(i, 1);
      }
      this.running.get(id)?.controller.abort(new Error('document deleted'));
    }
  }

  private push(id: string): void {
    if (this.queued.has(id) || this.running.has(id)) return;
    this.queued.add(id);
    this.waiting.push(id);
  }

  private pump(): void {
    while (!this.stopping && this.running.size < this.config.documents.ingestConcurrency) {
      const id = this.waiting.shift();
      if (id === undefined) return;
      this.queued.delete(id);
      const controller = new AbortController();
      const done = this.processor
        .process(id, controller.signal)
        .catch((err: unknown) =>
          this.log.error(
            { documentId: id, err: err instanceof Error ? err.message : String(err) },
            'document processing failed',
          ),
        )
        .finally(() => {
          this.running.delete(id);
          this.pump();
        });
      this.running.set(id, { controller, done });
    }
  }
}
