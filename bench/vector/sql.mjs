// The PostgreSQL side of the vector suite: the throwaway database (created and dropped with psql),
// the bulk load of synthetic chunks into a collection's chunk table, the gateway's search transaction
// replayed through `pg` (its statement built by the compiled chunk-search.statement.js), the exact
// search recall is measured against, and CPU readings of the database's backends.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { paragraph, prng, vectorLiteral } from './corpus.mjs';

/** `adminUrl` with its database name replaced. */
export function databaseUrl(adminUrl, name) {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.href;
}

/** Runs one statement through psql against `url`, synchronously (usable from an exit handler). */
export function psql(url, sql) {
  const r = spawnSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql], {
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.status !== 0) throw new Error(`psql failed (${sql}): ${r.stderr || r.error?.message}`);
  return r.stdout.trim();
}

/**
 * One search as the gateway runs it, on `client`: BEGIN, one `set_config(name, value, true)` per
 * setting, the statement, COMMIT. `statement` is `{ sql, params, settings }` as the compiled
 * `searchStatement` (dist/src/vector/chunk-search.statement.js) builds it for ChunkStore.search.
 * Returns the rows, the whole transaction's time and the statement's own time, in ms.
 */
export async function gatewaySearch(client, statement) {
  const t0 = performance.now();
  await client.query('BEGIN');
  try {
    for (const [name, value] of statement.settings) {
      await client.query('SELECT set_config($1, $2, true)', [name, value]);
    }
    const s0 = performance.now();
    const { rows } = await client.query(statement.sql, statement.params);
    const statementMs = performance.now() - s0;
    await client.query('COMMIT');
    return { rows, totalMs: performance.now() - t0, statementMs };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** `SET LOCAL` statements for a search statement's settings (constants from the gateway's code). */
export function settingStatements(statement) {
  return statement.settings.map(([name, value]) => `SET LOCAL ${name} = '${value}'`);
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of each search statement under its settings: mean execution time and
 * buffer pages per search, found in shared_buffers (hit) or read from outside it (the OS page cache
 * or disk).
 */
export async function bufferStats(client, statements) {
  let hit = 0;
  let read = 0;
  let ms = 0;
  for (const statement of statements) {
    await client.query('BEGIN');
    try {
      for (const set of settingStatements(statement)) await client.query(set);
      const { rows } = await client.query(
        `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${statement.sql}`,
        statement.params,
      );
      const top = rows[0]['QUERY PLAN'][0];
      hit += top.Plan['Shared Hit Blocks'];
      read += top.Plan['Shared Read Blocks'];
      ms += top['Execution Time'];
    } finally {
      await client.query('ROLLBACK');
    }
  }
  const n = statements.length;
  const sharedBuffers = (await client.query('SHOW shared_buffers')).rows[0].shared_buffers;
  return {
    searches: n,
    sharedBuffers,
    meanExecutionMs: Math.round((ms / n) * 100) / 100,
    sharedHitPerSearch: Math.round(hit / n),
    sharedReadPerSearch: Math.round(read / n),
  };
}

/** The exact top-k of a collection: a sequential scan (index and bitmap scans off) and a sort. */
export async function exactSearch(client, { table, collectionId, literal, topK }) {
  const t0 = performance.now();
  await client.query('BEGIN');
  try {
    await client.query('SET LOCAL enable_indexscan = off');
    await client.query('SET LOCAL enable_bitmapscan = off');
    const { rows } = await client.query(
      `SELECT chunk_id FROM ${table} WHERE collection_id = $2 ORDER BY embedding <=> $1::vector LIMIT $3`,
      [literal, collectionId, topK],
    );
    await client.query('COMMIT');
    return { rows, ms: performance.now() - t0 };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
}

/** The plan's node lines (no costs) of a statement, e.g. to show which scan a search uses. */
export async function planOf(client, sql, params, settings = []) {
  await client.query('BEGIN');
  try {
    for (const s of settings) await client.query(s);
    const { rows } = await client.query(`EXPLAIN (COSTS OFF) ${sql}`, params);
    // The 384 numbers of a vector literal say nothing about the plan.
    return rows.map((r) => r['QUERY PLAN'].replace(/'\[[^\]]*\]'/g, "'[…]'"));
  } finally {
    await client.query('ROLLBACK');
  }
}

/**
 * Adds `documents` processed documents rows to collection `collection` (created by the gateway), each
 * to hold `perDocument` chunks; returns the collection row and the documents' ids.
 */
export async function createDocuments(client, { collection, documents, perDocument, seed }) {
  const [coll] = (
    await client.query('SELECT id, tenant, embedding_model, dimension FROM collections WHERE name = $1', [
      collection,
    ])
  ).rows;
  if (!coll) throw new Error(`collection ${collection} does not exist`);
  const docIds = [];
  for (let d = 0; d < documents; d++) {
    const name = `synthetic-${String(d).padStart(4, '0')}.md`;
    const hash = createHash('sha256').update(`bench-vector ${seed} ${d}`).digest('hex');
    const { rows } = await client.query(
      `INSERT INTO documents (collection_id, tenant, source_name, mime, content_hash, status, chunk_count,
                              embedding_model, dimension, bytes)
       VALUES ($1, $2, $3, 'text/markdown', $4, 'processed', $5, $6, $7, $8) RETURNING id`,
      [
        coll.id,
        coll.tenant,
        name,
        hash,
        perDocument,
        coll.embedding_model,
        coll.dimension,
        perDocument * 1500,
      ],
    );
    docIds.push(rows[0].id);
  }
  return { coll, docIds };
}

/**
 * Fills those documents with `chunks` synthetic chunks (replacing any they hold): the chunk table's
 * HNSW index is dropped, the rows inserted with multi-row INSERTs (vectors from `model`, text from a
 * pool of generated paragraphs), the index rebuilt from its own definition, and the table vacuumed
 * and analysed. Returns timings and sizes.
 */
export async function loadChunks(
  client,
  { table, coll, docIds, perDocument, chunks, model, seed, insertBatch, log },
) {
  const [hnsw] = (
    await client.query(
      "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = $1 AND indexdef LIKE '%USING hnsw%'",
      [table],
    )
  ).rows;
  if (!hnsw) throw new Error(`${table} has no HNSW index`);
  await client.query(`DROP INDEX ${hnsw.indexname}`);
  await client.query(`DELETE FROM ${table} WHERE document_id = ANY($1::uuid[])`, [docIds]);

  const rand = prng(seed);
  const pool = [];
  for (let i = 0; i < 2000; i++) {
    const text = paragraph(rand, Math.round(60 * (300 / 60) ** rand()));
    pool.push({ text, tokens: text.split(' ').length });
  }
  const insertStart = performance.now();
  let pending = null;
  for (let start = 0; start < chunks; start += insertBatch) {
    const end = Math.min(chunks, start + insertBatch);
    const params = [coll.id, coll.tenant, coll.embedding_model];
    const rows = [];
    for (let i = start; i < end; i++) {
      const p = pool[i % pool.length];
      const n = params.push(
        docIds[Math.floor(i / perDocument)],
        i % perDocument,
        p.text,
        p.tokens,
        vectorLiteral(model.sample(rand)),
      );
      rows.push(`($${n - 4}, $1, $2, $${n - 3}, $${n - 2}, $${n - 1}, $3, $${n}::vector)`);
    }
    // One statement in flight while the next is built.
    const query = client.query(
      `INSERT INTO ${table} (document_id, collection_id, tenant, position, text, token_count,
                             embedding_model, embedding)
       VALUES ${rows.join(', ')}`,
      params,
    );
    if (pending) await pending;
    pending = query;
    if (end % 25_000 === 0) log?.(`  inserted ${end} chunks`);
  }
  await pending;
  const insertSeconds = (performance.now() - insertStart) / 1000;

  const indexStart = performance.now();
  const maintenanceWorkMem = '1GB';
  await client.query(`SET maintenance_work_mem = '${maintenanceWorkMem}'`);
  await client.query(hnsw.indexdef);
  await client.query('RESET maintenance_work_mem');
  const indexSeconds = (performance.now() - indexStart) / 1000;

  const vacuumStart = performance.now();
  await client.query(`VACUUM ANALYZE ${table}`);
  await client.query('VACUUM ANALYZE documents');
  const vacuumSeconds = (performance.now() - vacuumStart) / 1000;

  const size = async (rel) =>
    Number((await client.query('SELECT pg_total_relation_size($1) AS b', [rel])).rows[0].b);
  const rowsInTable = Number((await client.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  return {
    vectors: model.kind,
    chunks,
    documents: docIds.length,
    rowsInTable,
    indexDefinition: hnsw.indexdef,
    maintenanceWorkMem,
    insertSeconds: round1(insertSeconds),
    indexSeconds: round1(indexSeconds),
    vacuumSeconds: round1(vacuumSeconds),
    tableMb: round1((await size(table)) / 2 ** 20),
    indexMb: round1((await size(hnsw.indexname)) / 2 ** 20),
  };
}

/**
 * What storing a chunk costs PostgreSQL, without and with the chunk table's HNSW index: the chunks
 * of collection `collectionId` (as the gateway stored them) copied into a scratch table of the same
 * columns, one transaction and one multi-row INSERT per document as the gateway writes them, timed
 * on this connection's own backend (CPU from /proc).
 */
export async function insertCost(client, { table, collectionId, cpuSeconds }) {
  const { rows } = await client.query(
    `SELECT document_id, collection_id, tenant, position, text, token_count, heading_path, metadata,
            embedding_model, embedding::text AS embedding
       FROM ${table} WHERE collection_id = $1 ORDER BY document_id, position`,
    [collectionId],
  );
  const docs = new Map();
  for (const r of rows) docs.set(r.document_id, [...(docs.get(r.document_id) ?? []), r]);
  const [hnsw] = (
    await client.query(
      "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = $1 AND indexdef LIKE '%USING hnsw%'",
      [table],
    )
  ).rows;
  const pid = (await client.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  const scratch = 'bench_insert_cost';
  const variants = [
    { label: 'no vector index', index: null },
    {
      label: 'with the chunk table HNSW index',
      index: hnsw.indexdef
        .replace(` ${hnsw.indexname} `, ` ${scratch}_hnsw `)
        .replace(/ ON (public\.)?\w+ /, ` ON ${scratch} `),
    },
  ];
  const out = [];
  for (const v of variants) {
    await client.query(`DROP TABLE IF EXISTS ${scratch}`);
    await client.query(`CREATE TABLE ${scratch} (LIKE ${table} INCLUDING DEFAULTS)`);
    if (v.index) await client.query(v.index);
    const cpu0 = cpuSeconds(pid);
    const t0 = performance.now();
    for (const chunks of docs.values()) {
      const params = [];
      const values = chunks.map((c) => {
        const n = params.push(
          c.document_id,
          c.collection_id,
          c.tenant,
          c.position,
          c.text,
          c.token_count,
          c.heading_path,
          c.metadata === null ? null : JSON.stringify(c.metadata),
          c.embedding_model,
          c.embedding,
        );
        return `($${n - 9}, $${n - 8}, $${n - 7}, $${n - 6}, $${n - 5}, $${n - 4}, $${n - 3}::text[], $${n - 2}::jsonb, $${n - 1}, $${n}::vector)`;
      });
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO ${scratch} (document_id, collection_id, tenant, position, text, token_count, heading_path,
                                 metadata, embedding_model, embedding)
         VALUES ${values.join(', ')}`,
        params,
      );
      await client.query('COMMIT');
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(pid) - cpu0;
    out.push({
      label: v.label,
      index: v.index,
      rows: rows.length,
      documents: docs.size,
      seconds: Math.round(seconds * 100) / 100,
      rowsPerSec: Math.round(rows.length / seconds),
      cpuUsPerRow: Math.round((cpu * 1e6) / rows.length),
    });
  }
  await client.query(`DROP TABLE IF EXISTS ${scratch}`);
  return out;
}

/** CPU seconds of every backend connected to database `name` except `client`'s own, by pid. */
export async function backendCpu(client, name, cpuSeconds) {
  const { rows } = await client.query(
    'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
    [name],
  );
  return new Map(rows.map((r) => [r.pid, cpuSeconds(r.pid)]));
}

/** CPU seconds the backends used between two backendCpu readings (a new backend counts in full). */
export function backendCpuUsed(before, after) {
  let total = 0;
  for (const [pid, s] of after) if (Number.isFinite(s)) total += s - (before.get(pid) ?? 0);
  return total;
}

function round1(x) {
  return Math.round(x * 10) / 10;
}
