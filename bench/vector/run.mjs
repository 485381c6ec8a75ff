// Documents and retrieval: ingest throughput with the built-in embedder, search latency and recall at
// 100k chunks in one collection. About 3–5 minutes (most of it the HNSW build).
// Usage: npm run build && node bench/run.mjs vector   (or `node bench/vector/run.mjs`)
//
// Setup: a throwaway database on the local PostgreSQL with pgvector (BENCH_PG_URL, default
// postgres://postgres@127.0.0.1:5432/postgres; CREATE DATABASE bench_vector_*, dropped at the end
// and on abort). The gateway is a copy of dist/ with DATABASE_URL set to it (its migrations create
// the tables and the vector extension), auth off on loopback, EMBEDDING_MODEL=local/hash-384, cache
// off, pinned to CPU 0; this script (load generator, pg clients) runs on CPU 1; PostgreSQL is not
// pinned. Each phase boots its own gateway on the same database.
//
//   1. ingest  - per INGEST_CONFIGS entry: a warm-up upload (20 short documents), then the corpus
//                (corpus.mjs: 500 Markdown/plain documents, 150–6,000 words, seeded) uploaded with the
//                batch JSON form of POST /api/collections/:c/documents (100 per request), and
//                GET /api/documents/:id polled in upload order until every one is processed.
//                chunks/s = the documents' `chunks` summed ÷ (first upload → last seen processed).
//                Gateway CPU from /proc; PostgreSQL CPU = the bench database's backends.
//   2. load    - one document uploaded through the API creates the 100k collection (and the chunk
//                table); the ingest collections are deleted through the API; then 100 processed
//                documents rows and 100,000 chunk rows go straight into documents and
//                document_chunks_d384 (seeded vectors, see DATASETS; the HNSW index dropped and rebuilt
//                from its own definition), then VACUUM ANALYZE.
//   3. search  - POST /api/collections/:c/search with top_k 10 and seeded random questions (embedded
//                by the gateway), closed loops at concurrency 1 and 10, 10 s each after 2 s warm-up.
//   4. sql     - the same search statement straight through `pg` (the transaction the gateway runs:
//                BEGIN, set_config hnsw.ef_search and iterative scan, the statement, COMMIT) with the
//                same questions embedded by the compiled local embedder, at 1 and 10 connections.
//   5. recall  - 100 random vectors from the data's own model: the statement at ef_search 40/100/200
//                vs the exact top 10 (sequential scan, index and bitmap scans off).
// Results: bench/results/vector.{json,md}. Targets (≥ 2,000 chunks/s ingest, search p99 ≤ 20 ms)
// are printed as PASS/FAIL; nothing here fails the process on a slow figure.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { Pool } from 'undici';
import { cpuSeconds, freePort, spawnPinned, statusMb, stopChild, waitForHttp } from '../gateway/procs.mjs';
import { latencyStats } from '../limits/report.mjs';
import {
  gitCommit,
  installAbortHandlers,
  machineInfo,
  pinSelf,
  round2,
  snapshotDist,
  track,
} from '../shared/run-support.mjs';
import { documentCorpus, LATENT_DIM, LATENT_NOISE, prng, questions, vectorModel } from './corpus.mjs';
import { renderMarkdown, summaryLines } from './report.mjs';
import {
  backendCpu,
  backendCpuUsed,
  bufferStats,
  createDocuments,
  databaseUrl,
  exactSearch,
  gatewaySearch,
  insertCost,
  loadChunks,
  planOf,
  psql,
  settingStatements,
} from './sql.mjs';

const HOST = '127.0.0.1';
const SERVER_CPU = 0;
const CLIENT_CPU = 1;
const ADMIN_URL = process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const MODEL = 'local/hash-384';
const DIM = 384;
const TABLE = `document_chunks_d${DIM}`;
const COMMAND = 'node bench/run.mjs vector';
const BOOT_TIMEOUT_MS = 90_000;
const INGEST = { documents: 500, seed: 20_251_125, minWords: 150, maxWords: 6000, batch: 100 };
const WARMUP_DOCUMENTS = 20;
const INGEST_TIMEOUT_MS = 120_000;
const POLL_MS = 10;
/** Gateway settings tried for ingest; the first is the default configuration. */
const INGEST_CONFIGS = [
  { label: 'default', env: {} },
  { label: 'wide', env: { INGEST_CONCURRENCY: '8', EMBED_BATCH_SIZE: '256' } },
];
const LOAD = { collection: 'bench-100k', chunks: 100_000, documents: 100, seed: 7, insertBatch: 500 };
/**
 * Vector models loaded in turn (corpus.mjs vectorModel); the first also gets the latency phases, the
 * others recall only. `BENCH_VECTOR_DATASETS=subspace,uniform` adds the worst case (one more HNSW
 * build, about 1–2 minutes).
 */
const DATASETS = (process.env.BENCH_VECTOR_DATASETS || 'subspace').split(',');
const SEARCH = { concurrencies: [1, 10], seconds: 10, warmupSeconds: 2, topK: 10, questions: 2000, seed: 3 };
const SQL_SECONDS = 5;
const EF_SEARCH = 100; // the gateway's VECTOR_EF_SEARCH default, which the search phase runs with
const RECALL = { queries: 100, seed: 99, efSearch: [40, 100, 200], k: 10 };
const TARGETS = { ingestChunksPerSec: 2000, searchP99Ms: 20 };

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const resultsDir = path.join(root, 'bench/results');

await pinSelf({ script: fileURLToPath(import.meta.url), cpu: CLIENT_CPU, envVar: 'BENCH_VECTOR_PINNED' });

const children = new Set();
const workDir = mkdtempSync(path.join(os.tmpdir(), 'vector-bench-'));
const dbName = `bench_vector_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
const dbUrl = databaseUrl(ADMIN_URL, dbName);
let dbCreated = false;
const dropDatabase = () => {
  if (!dbCreated) return;
  try {
    psql(ADMIN_URL, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    dbCreated = false;
  } catch (err) {
    console.error(`could not drop ${dbName}: ${err.message}`);
  }
};
installAbortHandlers({ children, workDir, name: 'vector', deadlineMs: 480_000, cleanup: dropDatabase });
const startedAt = new Date();
const loadAvgBefore = os.loadavg().map(round2);
const clients = [];
try {
  await main();
} finally {
  await Promise.all([...children].map(stopChild));
  await Promise.all(clients.map((c) => c.end().catch(() => {})));
  dropDatabase();
  rmSync(workDir, { recursive: true, force: true });
}

async function main() {
  const t0 = performance.now();
  const appDir = await snapshotDist({ root, workDir, waitMs: 60_000 });
  const gatewayMain = path.join(appDir, 'dist/src/main.js');
  const { embedLocalHash } = await import(
    pathToFileURL(path.join(appDir, 'dist/src/llm/providers/local/index.js')).href
  );
  // The gateway's own statement builder, so the SQL-only and recall phases run exactly its SQL.
  const { searchStatement } = await import(
    pathToFileURL(path.join(appDir, 'dist/src/vector/chunk-search.statement.js')).href
  );
  psql(ADMIN_URL, `CREATE DATABASE ${dbName}`);
  dbCreated = true;
  console.log(`database ${dbName}`);
  const db = await connect();

  // 1. Ingest.
  const ingest = [];
  let storeCost = null;
  for (const [i, config] of INGEST_CONFIGS.entries()) {
    const gateway = await startGateway(gatewayMain, config.env);
    if (i === 0) {
      // Creates the 100k collection and the chunk table before anything is timed.
      await uploadAndWait(gateway, LOAD.collection, [
        { text: '# Seed\n\nThe collection the bulk load fills.', mime: 'text/markdown' },
      ]);
    }
    ingest.push(await runIngest(gateway, config, db));
    if (i === INGEST_CONFIGS.length - 1) {
      const collectionId = (
        await db.query('SELECT id FROM collections WHERE name = $1', [`ingest-${INGEST_CONFIGS[0].label}`])
      ).rows[0].id;
      storeCost = await insertCost(db, { table: TABLE, collectionId, cpuSeconds });
      for (const c of storeCost) {
        console.log(
          `  store ${c.rows} chunks again (${c.label}): ${c.cpuUsPerRow} µs PostgreSQL CPU per chunk, ${c.rowsPerSec} chunks/s`,
        );
      }
      // The 100k collection is then alone in the chunk table.
      for (const c of INGEST_CONFIGS) {
        await api(gateway, 'DELETE', `/api/collections/ingest-${c.label}`);
        await api(gateway, 'DELETE', `/api/collections/warmup-${c.label}`);
      }
    }
    await stopChild(gateway.child);
  }

  const server = (await db.query('SHOW server_version')).rows[0].server_version;
  const pgvector = (await db.query("SELECT extversion FROM pg_extension WHERE extname = 'vector'")).rows[0]
    .extversion;
  const perDocument = Math.ceil(LOAD.chunks / LOAD.documents);
  const { coll, docIds } = await createDocuments(db, { ...LOAD, perDocument });
  // As ChunkStore.supportsIterativeScans decides.
  const [major = 0, minor = 0] = pgvector.split('.').map(Number);
  const iterative = major > 0 || minor >= 8;
  const statementFor = (embedding, efSearch, topK = SEARCH.topK) =>
    searchStatement({
      table: TABLE,
      query: { collectionId: coll.id, dimension: DIM, embedding, topK },
      iterative,
      efSearch,
    });
  const texts = questions({ count: SEARCH.questions, seed: SEARCH.seed });
  const statements = texts.map((t) => statementFor(embedLocalHash(t, DIM), EF_SEARCH));

  const datasets = [];
  for (const [i, kind] of DATASETS.entries()) {
    // 2. Load 100k chunks.
    console.log(
      `\nloading ${LOAD.chunks} chunks (${kind} vectors) into ${LOAD.collection} ` +
        `(PostgreSQL ${server}, pgvector ${pgvector})`,
    );
    const model = vectorModel(kind, DIM, LOAD.seed);
    const load = await loadChunks(db, {
      table: TABLE,
      coll,
      docIds,
      perDocument,
      chunks: LOAD.chunks,
      model,
      seed: LOAD.seed + 1,
      insertBatch: LOAD.insertBatch,
      log: console.log,
    });
    console.log(
      `  insert ${load.insertSeconds} s, HNSW build ${load.indexSeconds} s, VACUUM ANALYZE ${load.vacuumSeconds} s; ` +
        `table ${load.tableMb} MB with indexes (HNSW ${load.indexMb} MB), ${load.rowsInTable} rows in ${TABLE}`,
    );
    const dataset = { vectors: kind, load };
    if (i === 0) {
      dataset.settings = statements[0].settings;
      dataset.plan = await planOf(
        db,
        statements[0].sql,
        statements[0].params,
        settingStatements(statements[0]),
      );
      // 3. Search through the gateway.
      const gateway = await startGateway(gatewayMain, {});
      dataset.search = [];
      for (const c of SEARCH.concurrencies) dataset.search.push(await hammerSearch(gateway, texts, c, db));
      dataset.gatewayPeakRssMb = Math.round(statusMb(gateway.child.pid, 'VmHWM'));
      await stopChild(gateway.child);
      // 4. The same statement straight through pg.
      dataset.sql = [];
      for (const c of SEARCH.concurrencies) dataset.sql.push(await hammerSql(statements, c));
      dataset.buffers = await bufferStats(db, statements.slice(0, 50));
      console.log(
        `buffers per search: ${dataset.buffers.sharedHitPerSearch} hit, ${dataset.buffers.sharedReadPerSearch} read ` +
          `(shared_buffers ${dataset.buffers.sharedBuffers}); execution ${dataset.buffers.meanExecutionMs} ms mean`,
      );
    }
    // 5. Recall.
    dataset.recall = await measureRecall(db, coll.id, model, statementFor);
    datasets.push(dataset);
  }

  const report = {
    command: COMMAND,
    startedAt: startedAt.toISOString(),
    commit: gitCommit(root),
    machine: machineInfo(loadAvgBefore),
    database: { server, pgvector, dimension: DIM, embeddingModel: MODEL, efSearch: EF_SEARCH },
    targets: TARGETS,
    ingest: { corpus: INGEST, warmupDocuments: WARMUP_DOCUMENTS, runs: ingest, storeCost },
    load: { ...LOAD, latentDim: LATENT_DIM, latentNoise: LATENT_NOISE },
    search: SEARCH,
    sqlSeconds: SQL_SECONDS,
    recall: RECALL,
    datasets,
    durationSeconds: Math.round((performance.now() - t0) / 1000),
  };
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(path.join(resultsDir, 'vector.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(resultsDir, 'vector.md'), renderMarkdown(report));
  console.log(`\nwrote bench/results/vector.{json,md}`);
  for (const line of summaryLines(report)) console.log(line);
}

async function connect() {
  const client = new pg.Client({ connectionString: dbUrl });
  clients.push(client);
  await client.connect();
  return client;
}

async function startGateway(gatewayMain, overrides) {
  const port = await freePort(HOST);
  const dataDir = path.join(workDir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const env = {
    NODE_ENV: 'production',
    HOST,
    PORT: String(port),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    DATABASE_URL: dbUrl,
    EMBEDDING_MODEL: MODEL,
    CACHE_DEFAULT_MODE: 'off',
    ADMIN_API_KEY: '',
    REDIS_URL: '',
    GATEWAY_CONFIG: '',
    ...overrides,
  };
  const child = track(
    children,
    spawnPinned({
      name: 'gateway',
      cpu: SERVER_CPU,
      args: [gatewayMain],
      env: { ...process.env, ...env },
      cwd: workDir,
    }),
  );
  const url = `http://${HOST}:${port}`;
  await waitForHttp(child, `${url}/health/ready`, BOOT_TIMEOUT_MS);
  return { child, url };
}

async function api(gateway, method, route, body) {
  const res = await fetch(gateway.url + route, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => null);
  if (res.status >= 300) throw new Error(`${method} ${route}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Uploads `docs` in batches of INGEST.batch; returns their ids in order. */
async function upload(gateway, collection, docs) {
  const ids = [];
  for (let i = 0; i < docs.length; i += INGEST.batch) {
    const answer = await api(gateway, 'POST', `/api/collections/${collection}/documents`, {
      documents: docs.slice(i, i + INGEST.batch),
    });
    for (const item of answer.documents ?? [answer]) {
      if (item.error) throw new Error(`upload refused: ${JSON.stringify(item)}`);
      ids.push(item.id);
    }
  }
  return ids;
}

/**
 * Polls GET /api/documents/:id in upload order (the queue is FIFO), moving on once a document is
 * processed or failed; returns each final document and when the last one was seen.
 */
async function waitProcessed(gateway, ids, deadline) {
  const done = [];
  for (const id of ids) {
    for (;;) {
      const doc = await api(gateway, 'GET', `/api/documents/${id}`);
      if (doc.status === 'processed' || doc.status === 'failed') {
        done.push(doc);
        break;
      }
      if (performance.now() > deadline) throw new Error(`document ${id} still ${doc.status}`);
      await sleep(POLL_MS);
    }
  }
  return { docs: done, at: performance.now() };
}

async function uploadAndWait(gateway, collection, docs) {
  const ids = await upload(gateway, collection, docs);
  return waitProcessed(gateway, ids, performance.now() + INGEST_TIMEOUT_MS);
}

async function runIngest(gateway, config, db) {
  const label = config.label;
  console.log(`\ningest (${label}: ${JSON.stringify(config.env)})`);
  const warm = documentCorpus({
    count: WARMUP_DOCUMENTS,
    seed: INGEST.seed + 1,
    minWords: 100,
    maxWords: 800,
    tag: `warmup-${label}`,
  });
  await uploadAndWait(gateway, `warmup-${label}`, warm);
  const docs = documentCorpus({
    count: INGEST.documents,
    seed: INGEST.seed,
    minWords: INGEST.minWords,
    maxWords: INGEST.maxWords,
    tag: `ingest-${label}`,
  });
  const bytes = docs.reduce((n, d) => n + Buffer.byteLength(d.text), 0);
  const pid = gateway.child.pid;
  const cpuBefore = cpuSeconds(pid);
  const dbBefore = await backendCpu(db, dbName, cpuSeconds);
  const start = performance.now();
  const ids = await upload(gateway, `ingest-${label}`, docs);
  const uploadSeconds = (performance.now() - start) / 1000;
  const { docs: finals, at } = await waitProcessed(gateway, ids, start + INGEST_TIMEOUT_MS);
  const wallSeconds = (at - start) / 1000;
  const cpu = cpuSeconds(pid) - cpuBefore;
  const dbCpu = backendCpuUsed(dbBefore, await backendCpu(db, dbName, cpuSeconds));
  const chunks = finals.reduce((n, d) => n + d.chunks, 0);
  const failed = finals.filter((d) => d.status === 'failed').length;
  const run = {
    label,
    env: config.env,
    documents: finals.length,
    failed,
    chunks,
    megabytes: round2(bytes / 1e6),
    uploadSeconds: round2(uploadSeconds),
    wallSeconds: round2(wallSeconds),
    chunksPerSec: Math.round(chunks / wallSeconds),
    documentsPerSec: Math.round((finals.length / wallSeconds) * 10) / 10,
    gatewayCpuSeconds: round2(cpu),
    gatewayCpuShare: round2(cpu / wallSeconds),
    gatewayCpuUsPerChunk: Math.round((cpu * 1e6) / chunks),
    dbCpuShare: round2(dbCpu / wallSeconds),
    dbCpuUsPerChunk: Math.round((dbCpu * 1e6) / chunks),
    gatewayPeakRssMb: Math.round(statusMb(pid, 'VmHWM')),
  };
  console.log(
    `  ${run.documents} documents (${run.failed} failed), ${run.chunks} chunks, ${run.megabytes} MB in ${run.wallSeconds} s ` +
      `(uploads ${run.uploadSeconds} s): ${run.chunksPerSec} chunks/s, ${run.documentsPerSec} documents/s; ` +
      `gateway CPU ${Math.round(run.gatewayCpuShare * 100)}% of a core, ${run.gatewayCpuUsPerChunk} µs/chunk; ` +
      `PostgreSQL backends ${Math.round(run.dbCpuShare * 100)}%, ${run.dbCpuUsPerChunk} µs/chunk`,
  );
  return run;
}

/** `connections` closed loops against the search route for `seconds` (after a warm-up). */
async function hammerSearch(gateway, texts, connections, db) {
  const route = `/api/collections/${LOAD.collection}/search`;
  const pool = new Pool(gateway.url, { connections, pipelining: 1 });
  let next = 0;
  const once = async () => {
    const query = texts[next++ % texts.length];
    const res = await pool.request({
      path: route,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, top_k: SEARCH.topK }),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) return { ok: false, status: res.statusCode };
    return { ok: JSON.parse(text).results?.length === SEARCH.topK, status: 200 };
  };
  const run = async (seconds, record) => {
    const end = performance.now() + seconds * 1000;
    const loop = async () => {
      while (performance.now() < end) {
        const t = performance.now();
        const r = await once();
        record(performance.now() - t, r);
      }
    };
    await Promise.all(Array.from({ length: connections }, loop));
  };
  try {
    await run(SEARCH.warmupSeconds, () => {});
    const latencies = [];
    const statuses = {};
    let short = 0;
    const cpuBefore = cpuSeconds(gateway.child.pid);
    const dbBefore = await backendCpu(db, dbName, cpuSeconds);
    const start = performance.now();
    await run(SEARCH.seconds, (ms, r) => {
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (r.status === 200) latencies.push(ms);
      if (r.status === 200 && !r.ok) short++;
    });
    const wall = (performance.now() - start) / 1000;
    const cpu = cpuSeconds(gateway.child.pid) - cpuBefore;
    const dbCpu = backendCpuUsed(dbBefore, await backendCpu(db, dbName, cpuSeconds));
    const row = {
      connections,
      requests: latencies.length,
      reqPerSec: Math.round(latencies.length / wall),
      latency: latencyStats(latencies),
      statuses,
      fewerThanTopK: short,
      gatewayCpuShare: round2(cpu / wall),
      gatewayCpuUsPerReq: latencies.length ? Math.round((cpu * 1e6) / latencies.length) : null,
      dbCpuShare: round2(dbCpu / wall),
      dbCpuUsPerReq: latencies.length ? Math.round((dbCpu * 1e6) / latencies.length) : null,
    };
    console.log(
      `search c${connections}: ${row.reqPerSec} req/s, p50 ${row.latency.p50} p90 ${row.latency.p90} ` +
        `p99 ${row.latency.p99} ms; CPU/req gateway ${row.gatewayCpuUsPerReq} µs, PostgreSQL ${row.dbCpuUsPerReq} µs; statuses ${JSON.stringify(statuses)}`,
    );
    return row;
  } finally {
    await pool.close();
  }
}

/** `connections` pg clients each running the gateway's search transaction in a loop. */
async function hammerSql(statements, connections) {
  const conns = [];
  for (let i = 0; i < connections; i++) conns.push(await connect());
  let next = 0;
  const run = async (seconds, record) => {
    const end = performance.now() + seconds * 1000;
    await Promise.all(
      conns.map(async (client) => {
        while (performance.now() < end) {
          record(await gatewaySearch(client, statements[next++ % statements.length]));
        }
      }),
    );
  };
  await run(1, () => {});
  const total = [];
  const statement = [];
  const start = performance.now();
  await run(SQL_SECONDS, (r) => {
    total.push(r.totalMs);
    statement.push(r.statementMs);
  });
  const wall = (performance.now() - start) / 1000;
  await Promise.all(conns.map((c) => c.end()));
  for (const c of conns) clients.splice(clients.indexOf(c), 1);
  const row = {
    connections,
    requests: total.length,
    reqPerSec: Math.round(total.length / wall),
    transaction: latencyStats(total),
    statement: latencyStats(statement),
  };
  console.log(
    `sql c${connections}: ${row.reqPerSec} searches/s, transaction p50 ${row.transaction.p50} p99 ${row.transaction.p99} ms, ` +
      `statement p50 ${row.statement.p50} p99 ${row.statement.p99} ms`,
  );
  return row;
}

/** Random query vectors from the loaded data's own model: the index at each ef_search vs exact. */
async function measureRecall(db, collectionId, model, statementFor) {
  const rand = prng(RECALL.seed);
  const vectors = [];
  for (let i = 0; i < RECALL.queries; i++) vectors.push(Array.from(model.sample(rand)));
  // The same literal for the exact search as the gateway's statement sends.
  const queries = vectors.map((v) => statementFor(v, EF_SEARCH, RECALL.k).params[0]);
  const exactPlan = await planOf(
    db,
    `SELECT chunk_id FROM ${TABLE} WHERE collection_id = $2 ORDER BY embedding <=> $1::vector LIMIT $3`,
    [queries[0], collectionId, RECALL.k],
    ['SET LOCAL enable_indexscan = off', 'SET LOCAL enable_bitmapscan = off'],
  );
  const exact = [];
  const exactMs = [];
  for (const literal of queries) {
    const r = await exactSearch(db, { table: TABLE, collectionId, literal, topK: RECALL.k });
    exact.push(new Set(r.rows.map((row) => row.chunk_id)));
    exactMs.push(r.ms);
  }
  const rows = [];
  for (const ef of RECALL.efSearch) {
    let found = 0;
    const ms = [];
    for (const [i, v] of vectors.entries()) {
      const r = await gatewaySearch(db, statementFor(v, ef, RECALL.k));
      for (const row of r.rows) if (exact[i].has(row.chunk_id)) found++;
      ms.push(r.statementMs);
    }
    const row = {
      efSearch: ef,
      recallAt10: Math.round((found / (RECALL.queries * RECALL.k)) * 1000) / 1000,
      statement: latencyStats(ms),
    };
    rows.push(row);
    console.log(
      `recall@${RECALL.k} ef_search ${ef}: ${row.recallAt10} (statement p50 ${row.statement.p50} ms)`,
    );
  }
  const exactStats = latencyStats(exactMs);
  console.log(`exact top ${RECALL.k} (sequential scan): p50 ${exactStats.p50} ms`);
  return { exact: exactStats, exactPlan, rows };
}
