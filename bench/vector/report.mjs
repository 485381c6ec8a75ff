// The vector suite's PASS/FAIL lines and markdown, from what vector.json stores.

const DATASET_NOTES = {
  subspace: (l, r) =>
    `**subspace** (default): random unit vectors of a ${l.latentDim}-dimensional random subspace of ` +
    `R^${r.database.dimension} plus ${Math.round(l.latentNoise * 100)} % isotropic noise — structured like real ` +
    'embeddings, whose intrinsic dimension is far below their width.',
  uniform: () =>
    '**uniform**: uniformly random unit vectors — the worst case for HNSW (distances concentrate, ' +
    'neighbourhoods carry no structure).',
};

function verdict(ok) {
  return ok ? 'PASS' : 'FAIL';
}

function fmt(x) {
  return x === null || x === undefined ? '–' : x.toLocaleString('en-US');
}

/** The target checks, one line each. */
export function targetLines(r) {
  const lines = [];
  const base = r.ingest.runs[0];
  const best = r.ingest.runs.reduce((a, b) => (b.chunksPerSec > a.chunksPerSec ? b : a));
  lines.push(
    `${verdict(base.chunksPerSec >= r.targets.ingestChunksPerSec)} ingest ≥ ${fmt(r.targets.ingestChunksPerSec)} chunks/s ` +
      `(default settings): ${fmt(base.chunksPerSec)} chunks/s`,
  );
  if (best !== base) {
    lines.push(
      `${verdict(best.chunksPerSec >= r.targets.ingestChunksPerSec)} ingest ≥ ${fmt(r.targets.ingestChunksPerSec)} chunks/s ` +
        `(best, ${best.label} ${JSON.stringify(best.env)}): ${fmt(best.chunksPerSec)} chunks/s`,
    );
  }
  for (const s of r.datasets[0].search) {
    lines.push(
      `${verdict(s.latency.p99 <= r.targets.searchP99Ms)} search p99 ≤ ${r.targets.searchP99Ms} ms at ` +
        `${fmt(r.load.chunks)} chunks, concurrency ${s.connections}: ${s.latency.p99} ms`,
    );
  }
  return lines;
}

export function summaryLines(r) {
  const ingest = r.ingest.runs
    .map((i) => `${i.label} ${fmt(i.chunksPerSec)} chunks/s (${i.documentsPerSec} docs/s)`)
    .join(', ');
  const main = r.datasets[0];
  const search = main.search
    .map((s) => `c${s.connections} p50 ${s.latency.p50} / p99 ${s.latency.p99} ms, ${fmt(s.reqPerSec)} req/s`)
    .join('; ');
  const sql = main.sql
    .map(
      (s) =>
        `c${s.connections} transaction p50 ${s.transaction.p50} / p99 ${s.transaction.p99} ms, ` +
        `statement p50 ${s.statement.p50} / p99 ${s.statement.p99} ms`,
    )
    .join('; ');
  const recall = r.datasets.map(
    (d) =>
      `recall@${r.recall.k} (${d.vectors}): ${d.recall.rows.map((x) => `ef ${x.efSearch} ${x.recallAt10}`).join(', ')}`,
  );
  return [
    `ingest: ${ingest}`,
    `search (gateway, ${main.vectors}): ${search}`,
    `search (SQL alone): ${sql}`,
    ...recall,
    ...targetLines(r),
    `suite ${r.durationSeconds} s`,
  ];
}

export function renderMarkdown(r) {
  const m = r.machine;
  const lines = [
    '# Documents and retrieval: ingest throughput, search latency and recall at 100k chunks',
    '',
    `Command: \`${r.command}\` · commit ${r.commit} · ${r.startedAt} · suite ${r.durationSeconds} s`,
    `Machine: ${m.cpuModel}, ${m.cpus} CPUs, ${fmt(m.totalMemMb)} MB; load average before ${m.loadAvgBefore.join(' ')}, ` +
      `after ${m.loadAvgAfter.join(' ')}`,
    `Database: PostgreSQL ${r.database.server}, pgvector ${r.database.pgvector} (local server, a throwaway database); ` +
      `embedder \`${r.database.embeddingModel}\` (${r.database.dimension} dimensions); VECTOR_EF_SEARCH ${r.database.efSearch}`,
    '',
    'The gateway (a copy of dist/, auth off on loopback, cache off) runs on CPU 0, this script and its',
    'clients on CPU 1; PostgreSQL is not pinned and serves other users of the machine too. Other work',
    'ran on the machine during the run, so the figures are noisy: compare within a run.',
    '',
    '## Targets',
    '',
    ...targetLines(r).map((l) => `- ${l}`),
    '',
    '## Ingest',
    '',
    `${fmt(r.ingest.corpus.documents)} generated documents (70 % Markdown with sections and lists, 30 % plain text; ` +
      `${fmt(r.ingest.corpus.minWords)}–${fmt(r.ingest.corpus.maxWords)} words, log-uniform, seed ${r.ingest.corpus.seed}), ` +
      `uploaded ${r.ingest.corpus.batch} per request with the batch JSON form, then \`GET /api/documents/:id\` polled ` +
      'in upload order until each is processed. Wall time runs from the first upload to the last document seen ' +
      `processed; ${r.ingest.warmupDocuments} short documents were processed first, untimed. CHUNK_TOKENS 400 and ` +
      'CHUNK_OVERLAP_TOKENS 60 (defaults; tokens are words for the local embedder).',
    '',
    '| settings | documents | chunks | MB | uploads s | wall s | chunks/s | documents/s | CPU share gateway | PostgreSQL | CPU µs/chunk gateway | PostgreSQL | gateway peak RSS MB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const i of r.ingest.runs) {
    const env = Object.keys(i.env).length
      ? Object.entries(i.env)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')
      : 'defaults (INGEST_CONCURRENCY=2, EMBED_BATCH_SIZE=64, EMBED_CONCURRENCY=4)';
    lines.push(
      `| ${i.label}: ${env} | ${fmt(i.documents)}${i.failed ? ` (${i.failed} failed)` : ''} | ${fmt(i.chunks)} | ${i.megabytes} | ` +
        `${i.uploadSeconds} | ${i.wallSeconds} | ${fmt(i.chunksPerSec)} | ${i.documentsPerSec} | ` +
        `${Math.round(i.gatewayCpuShare * 100)}% | ${Math.round(i.dbCpuShare * 100)}% | ${fmt(i.gatewayCpuUsPerChunk)} | ` +
        `${fmt(i.dbCpuUsPerChunk)} | ${fmt(i.gatewayPeakRssMb)} |`,
    );
  }
  lines.push(
    '',
    'Gateway CPU is the gateway process (all threads); PostgreSQL CPU is the backends connected to the bench',
    "database (the gateway's pool), read from /proc. Both are per chunk stored.",
  );
  const sc = r.ingest.storeCost;
  if (sc) {
    lines.push(
      '',
      `What storing costs PostgreSQL: the ${fmt(sc[0].rows)} chunks of the first ingest run (${fmt(sc[0].documents)} ` +
        'documents) written again into a scratch table with the same columns, one transaction and one multi-row INSERT ' +
        'per document as the gateway writes them, on one connection; CPU of that backend.',
      '',
      '| scratch table | CPU µs per chunk | chunks/s | index |',
      '|---|---:|---:|---|',
      ...sc.map(
        (c) =>
          `| ${c.label} | ${fmt(c.cpuUsPerRow)} | ${fmt(c.rowsPerSec)} | ${c.index ? `\`${c.index}\`` : '–'} |`,
      ),
    );
  }
  const l = r.load;
  const main = r.datasets[0];
  lines.push(
    '',
    `## ${fmt(l.chunks)} chunks in one collection`,
    '',
    `The collection was created through the API (one uploaded document; the ingest collections were deleted through ` +
      `the API, so it is alone in the chunk table); then ${fmt(l.documents)} processed documents rows and ` +
      `${fmt(l.chunks)} chunk rows (text from 2,000 generated paragraphs of 60–300 words) were inserted straight into ` +
      '`documents` and the chunk table with multi-row INSERTs, the HNSW index dropped during the insert and rebuilt ' +
      `from its own definition, then \`VACUUM ANALYZE\`. Vectors (seeded; ${r.datasets.length > 1 ? 'the sets loaded in turn into the same rows' : 'set by BENCH_VECTOR_DATASETS'}):`,
    '',
    ...r.datasets.map((d) => `- ${DATASET_NOTES[d.vectors](l, r)}`),
    ...(r.datasets.length > 1
      ? ['', `The latency phases run on ${main.vectors}; the others get recall only.`]
      : []),
    '',
    '| vectors | rows in table | insert s | HNSW build s | VACUUM ANALYZE s | table + indexes MB | HNSW MB |',
    '|---|---:|---:|---:|---:|---:|---:|',
  );
  for (const d of r.datasets) {
    const x = d.load;
    lines.push(
      `| ${d.vectors} | ${fmt(x.rowsInTable)} | ${x.insertSeconds} | ${x.indexSeconds} | ${x.vacuumSeconds} | ` +
        `${fmt(x.tableMb)} | ${fmt(x.indexMb)} |`,
    );
  }
  lines.push(
    '',
    `Index: \`${main.load.indexDefinition}\`, built with maintenance_work_mem ${main.load.maintenanceWorkMem}.`,
    '',
    `## Search through the gateway (${main.vectors} vectors)`,
    '',
    `\`POST /api/collections/:c/search\` with \`top_k: ${r.search.topK}\` and ${fmt(r.search.questions)} seeded random ` +
      'questions (4–14 words, embedded by the gateway per request), closed loops (each connection sends the next ' +
      `request when the previous answer is read) for ${r.search.seconds} s after ${r.search.warmupSeconds} s of warm-up.`,
    '',
    '| concurrency | req/s | p50 ms | p90 ms | p99 ms | max ms | CPU µs/req gateway | PostgreSQL | CPU share gateway | PostgreSQL | statuses |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  );
  for (const s of main.search) {
    lines.push(
      `| ${s.connections} | ${fmt(s.reqPerSec)} | ${s.latency.p50} | ${s.latency.p90} | ${s.latency.p99} | ${s.latency.max} | ` +
        `${fmt(s.gatewayCpuUsPerReq)} | ${fmt(s.dbCpuUsPerReq)} | ${Math.round(s.gatewayCpuShare * 100)}% | ` +
        `${Math.round(s.dbCpuShare * 100)}% | ${JSON.stringify(s.statuses)}${s.fewerThanTopK ? `, ${s.fewerThanTopK} short` : ''} |`,
    );
  }
  lines.push(
    '',
    `Gateway peak RSS during the search phase: ${fmt(main.gatewayPeakRssMb)} MB.`,
    '',
    '## The same search in SQL alone',
    '',
    "The gateway's transaction through `pg`: BEGIN, one `set_config(name, value, true)` per setting " +
      `(${(main.settings ?? []).map(([n, v]) => `\`${n}=${v}\``).join(', ')}), the statement, COMMIT — statement and ` +
      "settings built by the gateway's compiled `searchStatement` (src/vector/chunk-search.statement.ts) — with the " +
      `same questions embedded beforehand by the compiled local embedder; ${r.sqlSeconds} s per row after 1 s of ` +
      'warm-up, the gateway stopped. "statement" is the SELECT alone; the gateway also looks the collection up first ' +
      '(one more query).',
    '',
    '| connections | searches/s | transaction p50 ms | p90 ms | p99 ms | statement p50 ms | statement p99 ms | gateway p50 − transaction p50 |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const s of main.sql) {
    const gw = main.search.find((g) => g.connections === s.connections);
    const added = gw ? Math.round((gw.latency.p50 - s.transaction.p50) * 100) / 100 : null;
    lines.push(
      `| ${s.connections} | ${fmt(s.reqPerSec)} | ${s.transaction.p50} | ${s.transaction.p90} | ${s.transaction.p99} | ` +
        `${s.statement.p50} | ${s.statement.p99} | ${added === null ? '–' : `${added >= 0 ? '+' : ''}${added} ms`} |`,
    );
  }
  const b = main.buffers;
  if (b) {
    lines.push(
      '',
      `EXPLAIN (ANALYZE, BUFFERS) of ${b.searches} of these searches afterwards: ${b.meanExecutionMs} ms execution on ` +
        `average, ${fmt(b.sharedHitPerSearch)} buffer pages per search found in shared_buffers and ` +
        `${fmt(b.sharedReadPerSearch)} read from outside it (shared_buffers ${b.sharedBuffers}; the HNSW index is ` +
        `${fmt(main.load.indexMb)} MB).`,
    );
  }
  lines.push('', `Plan of the statement (ef_search ${r.database.efSearch}):`, '', '```', ...main.plan, '```');
  const rc = r.recall;
  lines.push(
    '',
    `## Recall@${rc.k} at ${fmt(l.chunks)} chunks`,
    '',
    `${rc.queries} random query vectors from each set's own model (seed ${rc.seed}); the statement above (HNSW, ` +
      `iterative scan) at each ef_search against the exact top ${rc.k} (sequential scan and sort, index and bitmap ` +
      'scans off). One connection; the statement time alone, the exact search as a whole transaction.',
    '',
    `| ef_search | ${r.datasets.map((d) => `recall@${rc.k} ${d.vectors} | p50 ms | p99 ms`).join(' | ')} |`,
    `|---:|${r.datasets.map(() => '---:|---:|---:').join('|')}|`,
  );
  for (const [i, ef] of rc.efSearch.entries()) {
    const mark = ef === r.database.efSearch ? ' (configured)' : '';
    const cells = r.datasets.map((d) => {
      const x = d.recall.rows[i];
      return `${x.recallAt10} | ${x.statement.p50} | ${x.statement.p99}`;
    });
    lines.push(`| ${ef}${mark} | ${cells.join(' | ')} |`);
  }
  lines.push(
    `| exact | ${r.datasets.map((d) => `1 | ${d.recall.exact.p50} | ${d.recall.exact.p99}`).join(' | ')} |`,
    '',
    'Plan of the exact query:',
    '',
    '```',
    ...main.recall.exactPlan,
    '```',
    '',
  );
  return lines.join('\n');
}
