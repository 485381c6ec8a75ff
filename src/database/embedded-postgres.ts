import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/**
 * PostgreSQL in-process (PGlite + pgvector), persisted under `<dataDir>/pg` and served on a loopback
 * port so TypeORM's ordinary `pg` driver and pool connect to it like to any server.
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly db: PGlite,
    private readonly server: PGLiteSocketServer,
    readonly url: string,
  ) {}

  /** `maxConnections` must cover the pool: the socket server refuses connections beyond it. */
  static async start(dataDir: string, maxConnections: number): Promise<EmbeddedPostgres> {
    const dir = join(dataDir, 'pg');
    await mkdir(dir, { recursive: true });
    const db = await PGlite.create(dir, { extensions: { vector } });
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections });
    try {
      await server.start();
    } catch (err) {
      await db.close();
      throw err;
    }
    const url = `postgres://postgres@${server.getServerConn()}/postgres`;
    return new EmbeddedPostgres(db, server, url);
  }

  async stop(): Promise<void> {
    await this.server.stop();
    if (!this.db.closed) await this.db.close();
  }
}
