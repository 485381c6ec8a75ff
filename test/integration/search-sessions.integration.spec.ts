import type { AppConfig } from '../../src/config/app-config.js';
import type { DatabaseEndpoint } from '../../src/database/database-endpoint.js';
import { SearchSessions } from '../../src/vector/search-sessions.js';
import { TEST_DATABASE_URL } from '../support/env.js';
import { createFreshDatabase, queryOnce } from '../support/test-database.js';

const SETTINGS: Array<[string, string]> = [
  ['hnsw.ef_search', '123'],
  ['jit', 'off'],
  ['hnsw.iterative_scan', 'relaxed_order'],
];

function sessionsFor(endpoint: Partial<DatabaseEndpoint>): SearchSessions {
  const config = { database: { poolSize: 4 } } as unknown as AppConfig;
  return new SearchSessions(endpoint as DatabaseEndpoint, config);
}

/** Search connections start with the search settings, so a search needs no transaction around it. */
describe('SearchSessions (real PostgreSQL + pgvector)', () => {
  it('opens sessions that carry the settings from their start, pgvector ones included', async () => {
    const db = await createFreshDatabase();
    await queryOnce(db.url, 'CREATE EXTENSION vector');
    const sessions = sessionsFor({ url: db.url });
    try {
      const pool = sessions.poolFor(SETTINGS);
      expect(pool).toBeDefined();
      const read = async () =>
        (
          await pool!.query<{ ef: string; jit: string; scan: string }>(
            `SELECT current_setting('hnsw.ef_search') AS ef, current_setting('jit') AS jit,
                    current_setting('hnsw.iterative_scan') AS scan`,
          )
        ).rows[0];
      expect(await read()).toEqual({ ef: '123', jit: 'off', scan: 'relaxed_order' });
      // Still so once pgvector's library is loaded in the session (a vector operation loads it).
      await pool!.query("SELECT '[1,0]'::vector <=> '[0,1]'::vector AS d");
      expect(await read()).toEqual({ ef: '123', jit: 'off', scan: 'relaxed_order' });
      // The same settings get the same pool; other settings get none (the caller sets them itself).
      expect(sessions.poolFor(SETTINGS.map(([n, v]) => [n, v] as [string, string]))).toBe(pool);
      expect(sessions.poolFor([['hnsw.ef_search', '400']])).toBeUndefined();
    } finally {
      await sessions.onApplicationShutdown();
      await db.drop();
    }
    expect(sessions.poolFor(SETTINGS)).toBeUndefined();
  });

  it('is not used for the embedded database, nor for values an options string cannot carry', async () => {
    const embedded = sessionsFor({ url: TEST_DATABASE_URL, embedded: {} as DatabaseEndpoint['embedded'] });
    expect(embedded.poolFor(SETTINGS)).toBeUndefined();
    const server = sessionsFor({ url: TEST_DATABASE_URL });
    try {
      expect(server.poolFor([['application_name', 'two words']])).toBeUndefined();
      expect(server.poolFor([['jit', 'off -c work_mem=1GB']])).toBeUndefined();
    } finally {
      await server.onApplicationShutdown();
    }
  });
});
