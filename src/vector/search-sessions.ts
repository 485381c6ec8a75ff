import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { DatabaseEndpoint } from '../database/database-endpoint.js';

/** Setting names and values as they may appear in a startup `options` string. */
const SETTING_PART = /^[a-z_.]+$|^[0-9]+$/;

/**
 * Connections kept for searches, whose sessions start with the search settings (`-c name=value` in
 * the startup packet), so that a search is one statement and one round trip instead of a
 * transaction of four (BEGIN, set_config, the search, COMMIT). Only for a PostgreSQL server, and only
 * while the settings stay the same for every search: with the embedded database every connection
 * shares one session, and older pgvector needs a per-search ef_search; callers then use a
 * transaction with SET LOCAL.
 */
@Injectable()
export class SearchSessions implements OnApplicationShutdown {
  private pool?: pg.Pool;
  private signature?: string;
  private closed = false;

  constructor(
    private readonly endpoint: DatabaseEndpoint,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * A pool whose sessions carry exactly `settings`, or undefined when searches must set them
   * themselves.
   */
  poolFor(settings: ReadonlyArray<readonly [string, string]>): pg.Pool | undefined {
    if (this.endpoint.embedded || this.closed) return undefined;
    if (!settings.every(([name, value]) => SETTING_PART.test(name) && SETTING_PART.test(value)))
      return undefined;
    const signature = settings.map(([name, value]) => `-c ${name}=${value}`).join(' ');
    if (this.pool) return signature === this.signature ? this.pool : undefined;
    this.signature = signature;
    this.pool = new pg.Pool({
      connectionString: this.endpoint.url,
      max: Math.max(2, Math.ceil(this.config.database.poolSize / 2)),
      options: signature,
      application_name: 'superlightrag-gateway-search',
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30000,
    });
    // An idle connection the server drops must not become an unhandled 'error' event.
    this.pool.on('error', () => undefined);
    return this.pool;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }
}
