import { DataSource } from 'typeorm';
import { ALL_MIGRATIONS } from '../../migrations/index.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { tempDir, testConfig } from '../support/test-config.js';
import { createFreshDatabase, queryOnce } from '../support/test-database.js';

async function expectMigrated(ds: DataSource): Promise<void> {
  const ext = await ds.query<Array<{ extname: string }>>(
    "SELECT extname FROM pg_extension WHERE extname = 'vector'",
  );
  expect(ext).toHaveLength(1);
  const applied = await ds.query<Array<{ name: string }>>('SELECT name FROM gateway_migrations');
  expect(applied.map((r) => r.name)).toContain('VectorExtension1764000000000');
  const [{ d }] = await ds.query<Array<{ d: number }>>(
    "SELECT ('[1,0,0]'::vector <=> '[0,1,0]'::vector) AS d",
  );
  expect(Number(d)).toBeCloseTo(1, 6);
}

describe('database: real PostgreSQL', () => {
  it('runs the migrations at boot on an empty database, and not twice', async () => {
    const db = await createFreshDatabase();
    try {
      const before = await queryOnce(db.url, "SELECT 1 FROM pg_extension WHERE extname = 'vector'");
      expect(before).toHaveLength(0);
      const first = await startApp(testConfig({ DATABASE_URL: db.url }));
      await expectMigrated(first.app.get(DataSource));
      await first.close();
      const second = await startApp(testConfig({ DATABASE_URL: db.url }));
      const rows = await second.app.get(DataSource).query<unknown[]>('SELECT * FROM gateway_migrations');
      expect(rows).toHaveLength(ALL_MIGRATIONS.length);
      await second.close();
    } finally {
      await db.drop();
    }
  });

  it('skips migrations when DB_MIGRATE_ON_BOOT=false', async () => {
    const db = await createFreshDatabase();
    try {
      const gw = await startApp(testConfig({ DATABASE_URL: db.url, DB_MIGRATE_ON_BOOT: 'false' }));
      const ext = await gw.app
        .get(DataSource)
        .query<unknown[]>("SELECT 1 FROM pg_extension WHERE extname = 'vector'");
      expect(ext).toHaveLength(0);
      await gw.close();
    } finally {
      await db.drop();
    }
  });
});

describe('database: embedded PGlite', () => {
  const dataDir = tempDir('slrg-pglite-');
  let gw: RunningApp | undefined;

  afterEach(async () => {
    await gw?.close();
    gw = undefined;
  });

  it('migrates the embedded database and serves readiness from it', async () => {
    gw = await startApp(testConfig({ DATA_DIR: dataDir }));
    const ds = gw.app.get(DataSource);
    await expectMigrated(ds);
    const res = await fetch(`${gw.baseUrl}/health/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ details: { database: { status: 'up', kind: 'embedded' } } });
  });

  it('holds 50 parallel queries and isolates concurrent transactions', async () => {
    gw = await startApp(testConfig({ DATA_DIR: dataDir }));
    const ds = gw.app.get(DataSource);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        ds.query<Array<{ n: number }>>('SELECT $1::int * 2 AS n, pg_sleep(0.001)', [i]),
      ),
    );
    expect(results.map((r) => Number(r[0].n))).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));

    await ds.query('CREATE TABLE IF NOT EXISTS tx_probe (id int PRIMARY KEY, note text)');
    await ds.query('TRUNCATE tx_probe');
    const work = Array.from({ length: 10 }, (_, i) =>
      ds
        .transaction(async (m) => {
          await m.query('INSERT INTO tx_probe (id, note) VALUES ($1, $2)', [i, `row ${i}`]);
          if (i % 2 === 1) throw new Error('roll back odd rows');
        })
        .catch(() => undefined),
    );
    await Promise.all(work);
    const rows = await ds.query<Array<{ id: number }>>('SELECT id FROM tx_probe ORDER BY id');
    expect(rows.map((r) => r.id)).toEqual([0, 2, 4, 6, 8]);
  });

  it('keeps data across a restart', async () => {
    gw = await startApp(testConfig({ DATA_DIR: dataDir }));
    await gw.app
      .get(DataSource)
      .query("CREATE TABLE IF NOT EXISTS restart_probe (v text); INSERT INTO restart_probe VALUES ('kept')");
    await gw.close();
    gw = await startApp(testConfig({ DATA_DIR: dataDir }));
    const rows = await gw.app.get(DataSource).query<Array<{ v: string }>>('SELECT v FROM restart_probe');
    expect(rows).toEqual([{ v: 'kept' }]);
  });
});
