import pg from 'pg';
import { EmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { dataRow, errorText, pgFrontend as fe, PgWireClient } from '../support/pg-wire-client.js';
import { tempDir } from '../support/test-config.js';

/**
 * Several connections share the embedded database's single backend. Each exchange (Parse … Sync, or
 * BEGIN … COMMIT) must run without another connection's messages in between, and a connection that
 * dies half-way must leave nothing committed and nobody blocked.
 */
describe('embedded PostgreSQL: connections sharing one backend', () => {
  let db: EmbeddedPostgres;
  let hostPort: string;
  let pool: pg.Pool;
  const open: PgWireClient[] = [];

  const client = async (): Promise<PgWireClient> => {
    const c = await PgWireClient.open(hostPort);
    open.push(c);
    return c;
  };
  const ready = (m: { type: string }) => m.type === 'Z';

  beforeAll(async () => {
    db = await EmbeddedPostgres.start(tempDir('slrg-embedded-'), 8);
    hostPort = new URL(db.url).host;
    pool = new pg.Pool({ connectionString: db.url, max: 3 });
    await pool.query('CREATE TABLE IF NOT EXISTS notes (body text NOT NULL)');
  }, 60_000);

  afterEach(async () => {
    for (const c of open.splice(0)) c.destroy();
    await pool.query('DELETE FROM notes');
  });

  afterAll(async () => {
    await pool.end();
    await db.stop();
  });

  it('holds another connection until an extended-protocol exchange reaches Sync', async () => {
    const a = await client();
    const b = await client();
    a.send(fe.parse('SELECT $1::int * 2 AS n'));
    await a.until((m) => m.type === '1', 5_000); // ParseComplete
    // A simple query drops the unnamed statement: it must not run inside a's exchange.
    b.send(fe.query('SELECT 42 AS answer'));
    expect(await b.arrives(ready, 300)).toBe(false);

    a.send(fe.bind(['21']), fe.execute(), fe.sync());
    const replyA = await a.until(ready, 5_000);
    expect(replyA.filter((m) => m.type === 'E').map(errorText)).toEqual([]);
    expect(replyA.filter((m) => m.type === 'D').map(dataRow)).toEqual([['42']]);

    const replyB = await b.until(ready, 5_000);
    expect(replyB.filter((m) => m.type === 'D').map(dataRow)).toEqual([['42']]);
  });

  it('holds other connections for the length of an explicit transaction', async () => {
    const a = await client();
    const b = await client();
    a.send(fe.query("BEGIN; INSERT INTO notes VALUES ('inside')"));
    await a.until(ready, 5_000);
    a.take();
    b.send(fe.query('SELECT count(*) FROM notes'));
    expect(await b.arrives(ready, 300)).toBe(false);
    a.send(fe.query('COMMIT'));
    await a.until(ready, 5_000);
    const replyB = await b.until(ready, 5_000);
    expect(replyB.filter((m) => m.type === 'D').map(dataRow)).toEqual([['1']]);
  });

  it('commits nothing of an exchange whose connection dies before Sync, and serves the others', async () => {
    const a = await client();
    const b = await client();
    a.send(fe.parse('INSERT INTO notes VALUES ($1)'), fe.bind(['half-done']), fe.execute());
    await a.until((m) => m.type === 'C', 5_000); // the INSERT ran, inside its implicit transaction
    b.send(fe.query('SELECT 1'));
    expect(await b.arrives(ready, 200)).toBe(false);
    a.destroy();
    await b.until(ready, 5_000);
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM notes');
    expect(rows[0]?.n).toBe('0');
  });

  it('rolls back an explicit transaction (failed or not) left open by a dead connection', async () => {
    const a = await client();
    a.send(fe.query("BEGIN; INSERT INTO notes VALUES ('lost')"));
    await a.until(ready, 5_000);
    a.destroy();
    const c = await client();
    c.send(fe.query("BEGIN; INSERT INTO notes VALUES ('also lost'); SELECT 1/0"));
    await c.until(ready, 5_000);
    c.destroy();
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM notes');
    expect(rows[0]?.n).toBe('0');
    // The backend is usable again in a fresh transaction.
    await pool.query("INSERT INTO notes VALUES ('kept')");
    const after = await pool.query<{ n: string }>('SELECT count(*) AS n FROM notes');
    expect(after.rows[0]?.n).toBe('1');
  });

  it('keeps every answer right under parameterised queries from a pool interleaved with simple ones', async () => {
    const wrong: string[] = [];
    await Promise.all(
      Array.from({ length: 6 }, async (_, w) => {
        for (let i = 0; i < 60; i++) {
          if (w % 2 === 0) {
            await pool.query(`SELECT ${w} AS plain`);
            continue;
          }
          const r = await pool.query<{ n: number; s: string }>(`SELECT $1::int + ${w} AS n, $2::text AS s`, [
            i,
            `w${w}`,
          ]);
          if (r.rows[0]?.n !== i + w || r.rows[0]?.s !== `w${w}`) wrong.push(`${w}/${i}`);
        }
      }),
    );
    expect(wrong).toEqual([]);
  });
});
