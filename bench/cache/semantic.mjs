// Semantic lookup for bench/cache/run.mjs: the compiled `SemanticIndex` (dist/) against a throwaway
// database on the local PostgreSQL with pgvector, at 10k and 100k entries, in two layouts (every entry
// in one scope; entries spread over 1,000 scopes). Vectors come from the gateway's own local embedder
// (`embedLocalHash`, 384 dimensions) on synthetic questions built from word lists.
//
// Loading is bulk: one `index.add` creates the table exactly as the gateway does (columns, scope
// index, HNSW cosine index), then multi-row INSERTs with the same columns fill it; ANALYZE runs
// before any lookup. Lookups are the real `index.search(scope, vector, 0.95, 3)`, one at a time.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { DataSource } from 'typeorm';

const DIM = 384;
const THRESHOLD = 0.95;
const LIMIT = 3;
const SIZES = [10_000, 100_000];
const LAYOUTS = [
  { id: 'one-scope', label: 'all in 1 scope', scopes: 1 },
  { id: 'spread', label: 'spread over 1,000 scopes', scopes: 1000 },
];
const INSERT_BATCH = 500;
const SEARCHES = 600;
const WARMUP_SEARCHES = 50;
const TTL_MS = 86_400_000;
/** Session memory for the HNSW (re)build only, so the graph is built in memory. */
const BUILD_MEMORY = '512MB';

const SUBJECTS = [
  'postgres',
  'redis',
  'kafka',
  'nginx',
  'docker',
  'kubernetes',
  'terraform',
  'python',
  'rust',
  'go',
  'typescript',
  'react',
  'linux',
  'git',
  'bash',
  'java',
  'spark',
  'mysql',
  'mongodb',
  'elasticsearch',
  'grafana',
  'prometheus',
  'ansible',
  'node',
  'django',
  'flask',
  'spring',
  'vue',
  'svelte',
  'swift',
  'kotlin',
  'haskell',
  'scala',
  'ruby',
  'rails',
  'php',
  'laravel',
  'nestjs',
  'fastify',
  'express',
];
const VERBS = [
  'configure',
  'debug',
  'install',
  'upgrade',
  'benchmark',
  'secure',
  'monitor',
  'scale',
  'migrate',
  'back up',
  'restore',
  'profile',
  'deploy',
  'test',
  'tune',
  'log',
  'cache',
  'shard',
  'replicate',
  'compress',
  'encrypt',
  'rotate',
  'index',
  'partition',
  'containerize',
];
const OBJECTS = [
  'the connection pool',
  'a read replica',
  'the query planner',
  'memory limits',
  'tls certificates',
  'the build pipeline',
  'a cron job',
  'the websocket server',
  'error handling',
  'request timeouts',
  'the retry policy',
  'a message queue',
  'the schema',
  'file uploads',
  'user sessions',
  'rate limiting',
  'health checks',
  'the garbage collector',
  'thread pools',
  'environment variables',
];
const CONTEXTS = ['on a laptop', 'in production', 'behind a load balancer', 'in ci', 'on arm64'];
// 40 × 25 × 20 × 5 = 100,000 base questions; the number suffix makes more when needed.
const TEMPLATES = [
  (s, v, o, c, n) => `How do I ${v} ${o} in ${s} ${c} (version ${n})?`,
  (s, v, o, c, n) => `What is the best way to ${v} ${o} with ${s} ${c}, release ${n}?`,
  (s, v, o, c, n) => `${s}: how should I ${v} ${o} ${c}? We run ${n} instances.`,
];
const UNRELATED = [
  'Write a haiku about autumn leaves falling on a quiet pond number',
  'Suggest a vegetarian dinner for four people with lentils and spinach, serving',
  'Translate good morning my friend into Portuguese and Italian please, attempt',
  'Explain the offside rule in football to a child of age',
  'Plan a three day trip to Lisbon on a small budget for person',
];

/** The i-th synthetic question (deterministic, distinct for i < 100,000 × templates). */
export function question(i) {
  const s = SUBJECTS[i % SUBJECTS.length];
  const v = VERBS[Math.floor(i / SUBJECTS.length) % VERBS.length];
  const o = OBJECTS[Math.floor(i / (SUBJECTS.length * VERBS.length)) % OBJECTS.length];
  const rest = Math.floor(i / (SUBJECTS.length * VERBS.length * OBJECTS.length));
  const c = CONTEXTS[rest % CONTEXTS.length];
  const n = 2 + Math.floor(rest / CONTEXTS.length);
  return TEMPLATES[i % TEMPLATES.length](s, v, o, c, n);
}

/** A near-duplicate of question(i): different case and punctuation, one filler word. */
function nearDuplicate(i) {
  return `please, ${question(i).toUpperCase().replace('?', ' ??')}`;
}

function unrelated(k) {
  return `${UNRELATED[k % UNRELATED.length]} ${k}`;
}

const scopeOf = (i, scopes) => `s${String(i % scopes).padStart(63, '0')}`;

/** `[a,b,…]` with 7 significant digits: pgvector stores float4 anyway, and the SQL text stays small. */
function literal(v) {
  let out = '[';
  for (let i = 0; i < v.length; i++) out += (i ? ',' : '') + (v[i] === 0 ? '0' : v[i].toPrecision(7));
  return `${out}]`;
}

/**
 * Runs every size × layout and returns the measurements. `adminUrl` is a database the run may
 * CREATE DATABASE from; the bench database is dropped at the end whatever happens.
 */
export async function runSemantic({ root, adminUrl, log = console.log }) {
  const { SemanticIndex } = await import(
    pathToFileURL(path.join(root, 'dist/src/cache/semantic/semantic-index.js')).href
  );
  const { embedLocalHash } = await import(
    pathToFileURL(path.join(root, 'dist/src/llm/providers/local/index.js')).href
  );
  const dbName = `bench_cache_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const admin = new DataSource({ type: 'postgres', url: adminUrl });
  await admin.initialize();
  const serverVersion = (await admin.query('SHOW server_version'))[0].server_version;
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = new URL(adminUrl);
  url.pathname = `/${dbName}`;
  const db = new DataSource({ type: 'postgres', url: url.href });
  try {
    await db.initialize();
    await db.query('CREATE EXTENSION IF NOT EXISTS vector');
    const pgvector = (await db.query("SELECT extversion FROM pg_extension WHERE extname = 'vector'"))[0]
      .extversion;
    const logger = pino({ level: 'silent' });
    const index = new SemanticIndex(db, logger);

    const t0 = performance.now();
    const maxSize = Math.max(...SIZES);
    const vectors = new Array(maxSize);
    for (let i = 0; i < maxSize; i++) vectors[i] = literal(embedLocalHash(question(i), DIM));
    const embedMs = performance.now() - t0;
    log(`  embedded ${maxSize} questions in ${(embedMs / 1000).toFixed(1)} s (local/hash-${DIM})`);

    const table = `semantic_cache_d${DIM}`;
    const results = [];
    const inProcess = [];
    for (const layout of LAYOUTS) {
      await db.query(`DROP TABLE IF EXISTS ${table}`);
      const fresh = new SemanticIndex(db, logger);
      // The gateway's own CREATE TABLE + indexes, through its first add.
      await fresh.add({
        scope: scopeOf(0, layout.scopes),
        tenant: 'bench',
        target: 'openai/gpt-4o-mini',
        cacheKey: 'k0',
        question: question(0),
        embedding: embedLocalHash(question(0), DIM),
        ttlMs: TTL_MS,
      });
      const hnsw = (
        await db.query(
          `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = $1 AND indexdef LIKE '%USING hnsw%'`,
          [table],
        )
      )[0];
      if (!hnsw) throw new Error(`${table} has no HNSW index after SemanticIndex.add`);
      let loaded = 1;
      for (const size of SIZES) {
        // Bulk: the gateway's HNSW index is dropped, the rows inserted, and the index rebuilt from its
        // own definition (pgvector builds it with the same m / ef_construction as row-by-row inserts).
        const loadStart = performance.now();
        await db.query(`DROP INDEX ${hnsw.indexname}`);
        await bulkLoad(db, table, vectors, loaded, size, layout.scopes);
        const insertSeconds = (performance.now() - loadStart) / 1000;
        await db.transaction(async (m) => {
          await m.query(`SET LOCAL maintenance_work_mem = '${BUILD_MEMORY}'`);
          await m.query(hnsw.indexdef);
        });
        loaded = size;
        const loadSeconds = (performance.now() - loadStart) / 1000;
        await db.query(`ANALYZE ${table}`);
        const sizeBytes = Number((await db.query(`SELECT pg_total_relation_size('${table}') AS b`))[0].b);
        const m = await measure({ index: fresh, embedLocalHash, size, scopes: layout.scopes });
        const plan = await explain(db, table, scopeOf(0, layout.scopes), vectors[0]);
        const row = {
          layout: layout.id,
          layoutLabel: layout.label,
          entries: size,
          entriesPerScope: Math.round(size / layout.scopes),
          insertSeconds: Math.round(insertSeconds * 10) / 10,
          loadSeconds: Math.round(loadSeconds * 10) / 10,
          tableAndIndexMb: Math.round((sizeBytes / 2 ** 20) * 10) / 10,
          plan,
          ...m,
        };
        results.push(row);
        log(
          `  ${layout.label.padEnd(25)} ${String(size).padStart(6)} entries: p50 ${row.all.p50} p99 ${row.all.p99} ` +
            `max ${row.all.max} ms (near-dup p99 ${row.nearDuplicate.p99}, unrelated p99 ${row.unrelated.p99}); ` +
            `near-dup hits ${row.nearDuplicateHits}/${row.nearDuplicate.n}, unrelated hits ${row.unrelatedHits}/${row.unrelated.n}; ` +
            `${row.tableAndIndexMb} MB; loaded in ${row.loadSeconds} s; plan: ${plan}`,
        );
      }
    }
    // The in-process alternative after every pgvector cell, so its large arrays (and their collection)
    // cannot disturb those timings.
    for (const layout of LAYOUTS) {
      for (const size of SIZES) {
        const row = await measureExactScan({ embedLocalHash, size, layout });
        inProcess.push(row);
        log(
          `  in-process exact scan: ${layout.label.padEnd(25)} ${String(size).padStart(6)} entries: ` +
            `p50 ${row.all.p50} p99 ${row.all.p99} max ${row.all.max} ms; ${row.vectorMb} MB of vectors`,
        );
      }
    }
    return {
      database: { server: serverVersion, pgvector, dimensions: DIM, threshold: THRESHOLD, limit: LIMIT },
      embedSecondsPerEntryUs: Math.round((embedMs * 1000) / maxSize),
      searchesPerCell: SEARCHES,
      results,
      inProcess,
    };
  } finally {
    if (db.isInitialized) await db.destroy();
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await admin.destroy();
  }
}

/** Rows [from, to) in multi-row INSERTs with the columns `SemanticIndex.add` writes. */
async function bulkLoad(db, table, vectors, from, to, scopes) {
  for (let start = from; start < to; start += INSERT_BATCH) {
    const end = Math.min(to, start + INSERT_BATCH);
    const values = [];
    for (let i = start; i < end; i++) {
      const q = question(i).replaceAll("'", "''");
      values.push(
        `('${scopeOf(i, scopes)}','bench','openai/gpt-4o-mini','k${i}','${q}','${vectors[i]}',now() + interval '1 day')`,
      );
    }
    await db.query(
      `INSERT INTO ${table} (scope, tenant, target, cache_key, question, embedding, expires_at) VALUES ${values.join(',')}`,
    );
  }
}

/**
 * SEARCHES lookups after a short warm-up, alternating near-duplicates of stored questions (searched in
 * the scope they were stored in) and unrelated questions (in a random scope), embedded beforehand.
 */
async function measure({ index, embedLocalHash, size, scopes }) {
  const queries = [];
  for (let k = 0; k < SEARCHES + WARMUP_SEARCHES; k++) {
    const i = (k * 7919 + 13) % size;
    if (k % 2 === 0) {
      queries.push({
        kind: 'near',
        scope: scopeOf(i, scopes),
        vector: embedLocalHash(nearDuplicate(i), DIM),
        key: `k${i}`,
      });
    } else {
      queries.push({
        kind: 'unrelated',
        scope: scopeOf(i, scopes),
        vector: embedLocalHash(unrelated(k), DIM),
      });
    }
  }
  const near = [];
  const far = [];
  let nearHits = 0;
  let unrelatedHits = 0;
  for (const [k, q] of queries.entries()) {
    const start = performance.now();
    const found = await index.search(q.scope, q.vector, THRESHOLD, LIMIT);
    const ms = performance.now() - start;
    if (k < WARMUP_SEARCHES) continue;
    if (q.kind === 'near') {
      near.push(ms);
      if (found.some((c) => c.cacheKey === q.key)) nearHits++;
    } else {
      far.push(ms);
      if (found.length > 0) unrelatedHits++;
    }
  }
  return {
    all: stats([...near, ...far]),
    nearDuplicate: stats(near),
    unrelated: stats(far),
    nearDuplicateHits: nearHits,
    unrelatedHits,
  };
}

/**
 * The alternative to a shared pgvector table: every instance keeps every entry in memory, vectors
 * grouped by scope in one Float32Array per scope, and a lookup scans its scope exactly (dot products
 * of unit vectors). Measured with the same queries as the pgvector cells; keeping the copies in sync
 * across instances (a feed of adds and deletes, a catch-up at boot) is not part of the figure.
 */
class ExactScanIndex {
  constructor(dim) {
    this.dim = dim;
    this.scopes = new Map();
  }

  add(scope, key, vector) {
    let s = this.scopes.get(scope);
    if (!s) {
      s = { keys: [], data: new Float32Array(16 * this.dim), n: 0 };
      this.scopes.set(scope, s);
    }
    if ((s.n + 1) * this.dim > s.data.length) {
      const grown = new Float32Array(s.data.length * 2);
      grown.set(s.data);
      s.data = grown;
    }
    s.data.set(vector, s.n * this.dim);
    s.keys.push(key);
    s.n++;
  }

  get bytes() {
    let total = 0;
    for (const s of this.scopes.values()) total += s.n * this.dim * 4;
    return total;
  }

  search(scope, vector, threshold, limit) {
    const s = this.scopes.get(scope);
    if (!s) return [];
    const q = Float32Array.from(vector);
    const dim = this.dim;
    const best = [];
    for (let r = 0; r < s.n; r++) {
      let dot = 0;
      const base = r * dim;
      for (let j = 0; j < dim; j++) dot += s.data[base + j] * q[j];
      if (dot < threshold) continue;
      best.push({ cacheKey: s.keys[r], similarity: dot });
      if (best.length > limit) {
        best.sort((a, b) => b.similarity - a.similarity);
        best.length = limit;
      }
    }
    return best.sort((a, b) => b.similarity - a.similarity);
  }
}

async function measureExactScan({ embedLocalHash, size, layout }) {
  const index = new ExactScanIndex(DIM);
  const loadStart = performance.now();
  for (let i = 0; i < size; i++) index.add(scopeOf(i, layout.scopes), `k${i}`, embedLocalHash(question(i), DIM));
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const m = await measure({ index, embedLocalHash, size, scopes: layout.scopes });
  return {
    layout: layout.id,
    layoutLabel: layout.label,
    entries: size,
    entriesPerScope: Math.round(size / layout.scopes),
    vectorMb: Math.round((index.bytes / 2 ** 20) * 10) / 10,
    loadSeconds: Math.round(loadSeconds * 10) / 10,
    ...m,
  };
}

/** The plan's access path for the search query, in a few words. */
async function explain(db, table, scope, vector) {
  const rows = await db.query(
    `EXPLAIN SELECT cache_key, question, embedding <=> $2 AS distance FROM ${table}
      WHERE scope = $1 AND expires_at > now() ORDER BY embedding <=> $2 LIMIT $3`,
    [scope, vector, LIMIT],
  );
  const text = rows.map((r) => r['QUERY PLAN']).join('\n');
  const scans = [
    ...text.matchAll(/(Index Scan|Bitmap Index Scan|Seq Scan|Index Only Scan) (?:using (\S+) )?on/g),
  ];
  return scans.map((m) => (m[2] ? `${m[1]} ${m[2]}` : m[1])).join(' + ') || text.split('\n')[0];
}

export function stats(values) {
  if (values.length === 0) return { n: 0, p50: null, p99: null, max: null, mean: null };
  const sorted = Float64Array.from(values).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  let sum = 0;
  for (const v of sorted) sum += v;
  const r3 = (x) => Math.round(x * 1000) / 1000;
  return {
    n: sorted.length,
    p50: r3(at(0.5)),
    p99: r3(at(0.99)),
    max: r3(sorted[sorted.length - 1]),
    mean: r3(sum / sorted.length),
  };
}
