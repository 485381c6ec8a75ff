// Soak: a steady mixed load for minutes against a built gateway on real PostgreSQL and Redis,
// watching memory, sockets and connections for growth that does not stop.
// Usage: npm run soak [-- --minutes N]   (SOAK_MINUTES=N works too; default 10; 1 is enough for CI)
//
// Setup: a fresh database on the local PostgreSQL (CREATE DATABASE soak_*, dropped at the end),
// Redis at redis://127.0.0.1:6379 with a run-unique REDIS_KEY_PREFIX (its keys deleted at the end),
// the OpenAI fake (20 ms before headers, 20 ms between stream frames), and the gateway from a copy of
// dist/ with CACHE_DEFAULT_MODE=exact (memory tier capped at 500 entries, so it is full before the
// warm-up ends; Redis behind it), auth off on loopback. Gateway on CPU 0; fake, load and sampling on
// CPU 1. Load (bench/soak/load.mjs): 80 requests/s, at most 64 in flight: JSON with repeated
// prompts (cache hits) and unique ones (misses), streams (repeated, unique, and cancelled after
// their first delta), and requests over 8 WebSockets (some cancelled with chat.cancel; one socket
// replaced every 20 s).
// Every few seconds (2–5 s): the gateway's RSS (/proc), and from GET /metrics its V8 heap used,
// active handles, upstream pool sockets, open streams and WebSockets, event-loop lag; its TCP
// connections to the fake, PostgreSQL and Redis (its socket inodes matched in /proc/net/tcp*); and
// pg_stat_activity for the soak database. After the warm-up (the first third, at least 30 s) the samples are
// fitted by least squares; the run fails (exit 1) when (criteria in bench/soak/analysis.mjs):
//   - heap used grows: slope > 1 MB/min AND fitted growth > 20 % over the window AND the median
//     of the last quarter > 10 % above the first quarter's (a GC sawtooth meets at most two); judged
//     only on a window of at least 2 minutes (before V8's first full collection, 1.5–2 min into a
//     fresh process, the heap only grows), so a 1-minute CI run reports it without failing on it;
//   - a count grows without bound: fitted rise > its tolerance (upstream sockets 4, Postgres 2,
//     Redis 2, active handles 10) AND the last quarter's minimum is above the first quarter's
//     maximum (the floor rose); or upstream sockets exceed UPSTREAM_POOL_CONNECTIONS;
//   - after the load, open streams or WebSockets do not fall to 0, or the fake still has requests
//     open; more than 1 % of the requests failed; or the gateway died.
// Results: bench/results/soak.{json,md} and bench/results/soak.svg.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { statusMb, stopChild } from '../gateway/procs.mjs';
import { deletePrefix } from '../limits/redis.mjs';
import {
  compileFakes,
  gitCommit,
  installAbortHandlers,
  machineInfo,
  packageVersions,
  pinSelf,
  round1,
  round2,
  snapshotDist,
  startFake,
} from '../shared/run-support.mjs';
import { gatewayEnv, metricSum, scrapeMetrics, startGateway } from '../shared/servers.mjs';
import { COUNT_TOLERANCE, countTrend, HEAP_CRITERIA, heapTrend } from './analysis.mjs';
import { soakChartSvg } from './chart.mjs';
import { MIX, startLoad } from './load.mjs';

const run = promisify(execFile);
const { values: args } = parseArgs({ options: { minutes: { type: 'string' } }, strict: false });
const MINUTES = Number(args.minutes ?? process.env.SOAK_MINUTES ?? 10);
if (!Number.isFinite(MINUTES) || MINUTES <= 0 || MINUTES > 240) {
  console.error('usage: node bench/soak/run.mjs [--minutes N]  (or SOAK_MINUTES=N; 0 < N <= 240)');
  process.exit(2);
}
const SERVER_CPU = 0;
const CLIENT_CPU = 1;
const RATE = 80;
const MAX_IN_FLIGHT = 64;
const WEBSOCKETS = 8;
const WS_REPLACE_EVERY_S = 20;
const UPSTREAM_LATENCY_MS = 20;
const CHUNK_DELAY_MS = 20;
const POOL_CONNECTIONS = 64;
const DB_POOL_SIZE = 10;
const MAX_FAILED_SHARE = 0.01;
const MIN_HEAP_WINDOW_MIN = 2;
const TOTAL_S = MINUTES * 60;
// The first third, and at least 30 s (or half of a very short run): a fresh process is still warming up.
const WARMUP_S = Math.max(TOTAL_S / 3, Math.min(30, TOTAL_S / 2));
const SAMPLE_S = Math.min(5, Math.max(2, TOTAL_S / 60));
const SETTLE_S = 10;
const PG_ADMIN = { host: '127.0.0.1', port: '5432', user: 'postgres' };
const REDIS_URL = process.env.SOAK_REDIS_URL || 'redis://127.0.0.1:6379';
const MB = 2 ** 20;

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const resultsDir = path.join(root, 'bench/results');

await pinSelf({ script: fileURLToPath(import.meta.url), cpu: CLIENT_CPU, envVar: 'BENCH_SOAK_PINNED' });

const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const dbName = `soak_${runId}`;
const keyPrefix = `soak-${runId}:`;
const children = new Set();
const workDir = mkdtempSync(path.join(os.tmpdir(), 'soak-bench-'));
let dbCreated = false;
const cleanupSync = () => {
  for (const child of children) child.kill('SIGKILL');
  if (dbCreated) dropDatabaseSync();
  cleanRedis();
};
installAbortHandlers({
  children,
  workDir,
  name: 'soak',
  deadlineMs: (TOTAL_S + 240) * 1000,
  cleanup: cleanupSync,
});
const startedAt = new Date();
const loadAvgBefore = os.loadavg().map(round2);
let exitCode = 1;
try {
  exitCode = await main();
} finally {
  await Promise.all([...children].map(stopChild));
  if (dbCreated) dropDatabaseSync();
  rmSync(workDir, { recursive: true, force: true });
}
process.exit(exitCode);

async function main() {
  psqlSync('postgres', 'SELECT 1');
  const redisPing = execFileSync('redis-cli', ['-u', REDIS_URL, 'PING'], { encoding: 'utf8' }).trim();
  if (redisPing !== 'PONG') throw new Error(`Redis at ${REDIS_URL} answered ${redisPing}`);
  psqlSync('postgres', `CREATE DATABASE ${dbName}`);
  dbCreated = true;
  console.log(
    `soak: ${MINUTES} min, database ${dbName}, Redis prefix ${keyPrefix}, sample every ${SAMPLE_S} s`,
  );

  const appDir = await snapshotDist({ root, workDir, waitMs: 60_000 });
  const fakesDir = compileFakes({ root, workDir });
  const fake = await startFake({
    fakesDir,
    latencyMs: UPSTREAM_LATENCY_MS,
    cpu: CLIENT_CPU,
    children,
    timeoutMs: 60_000,
    args: ['--chunk-delay', String(CHUNK_DELAY_MS)],
  });
  const env = {
    DATABASE_URL: `postgres://${PG_ADMIN.user}@${PG_ADMIN.host}:${PG_ADMIN.port}/${dbName}`,
    DB_POOL_SIZE: String(DB_POOL_SIZE),
    REDIS_URL,
    REDIS_KEY_PREFIX: keyPrefix,
    CACHE_DEFAULT_MODE: 'exact',
    CACHE_MEMORY_MAX_ENTRIES: '500',
    UPSTREAM_POOL_CONNECTIONS: String(POOL_CONNECTIONS),
  };
  const gateway = await startGateway({
    gatewayMain: path.join(appDir, 'dist/src/main.js'),
    workDir,
    fakeUrl: fake.url,
    cpu: SERVER_CPU,
    children,
    env,
  });
  const pid = gateway.child.pid;
  const ports = { upstream: Number(new URL(fake.url).port), postgres: Number(PG_ADMIN.port), redis: 6379 };
  const metricsBefore = await scrapeMetrics(gateway.url);

  const load = startLoad({
    origin: gateway.url,
    rate: RATE,
    maxInFlight: MAX_IN_FLIGHT,
    websockets: WEBSOCKETS,
    wsReplaceEverySeconds: WS_REPLACE_EVERY_S,
    runId,
  });
  const t0 = performance.now();
  const samples = [];
  let nextLog = 0;
  while ((performance.now() - t0) / 1000 < TOTAL_S && alive(gateway.child)) {
    const due = t0 + (samples.length + 1) * SAMPLE_S * 1000;
    await sleep(Math.max(0, due - performance.now()));
    const s = await sample({ pid, url: gateway.url, ports, t: (performance.now() - t0) / 1000, load });
    samples.push(s);
    if (s.t >= nextLog) {
      nextLog += Math.max(30, SAMPLE_S);
      console.log(
        `  ${fmtTime(s.t)}  rss ${s.rssMb} MB  heap ${s.heapUsedMb} MB  handles ${s.activeHandles}  ` +
          `upstream ${s.upstreamSockets}  pg ${s.pgConnections}  redis ${s.redisConnections}  ` +
          `streams ${s.openStreams}  ws ${s.openWebSockets}  done ${s.requestsDone}`,
      );
    }
  }
  const loadSeconds = (performance.now() - t0) / 1000;
  const outcome = await load.stop();
  console.log(`load stopped after ${fmtTime(loadSeconds)}; settling ${SETTLE_S} s`);
  const settled = await settle({ pid, url: gateway.url, ports, fake, t0, load });
  const metricsAfter = alive(gateway.child) ? await scrapeMetrics(gateway.url).catch(() => null) : null;
  const cache = cacheDelta(metricsBefore, metricsAfter);
  const aliveAtEnd = alive(gateway.child);
  const hwmMb = round1(statusMb(pid, 'VmHWM'));
  const outputTail = aliveAtEnd ? undefined : gateway.child.outputTail;
  await stopChild(gateway.child);
  const cleanup = {
    redis: cleanRedis(),
    postgres: dropDatabaseSync() ? `database ${dbName} dropped` : `DROP DATABASE ${dbName} failed`,
  };

  const report = {
    suite: 'soak',
    command: `npm run soak -- --minutes ${MINUTES}`,
    date: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    node: process.version,
    git: gitCommit(root),
    machine: machineInfo(loadAvgBefore),
    packages: packageVersions(root, [
      '@nestjs/core',
      'fastify',
      'undici',
      'ws',
      'pg',
      '@redis/client',
      'typeorm',
    ]),
    config: {
      minutes: MINUTES,
      loadSeconds: round1(loadSeconds),
      warmupSeconds: round1(WARMUP_S),
      sampleSeconds: SAMPLE_S,
      rate: RATE,
      maxInFlight: MAX_IN_FLIGHT,
      websockets: WEBSOCKETS,
      wsReplaceEverySeconds: WS_REPLACE_EVERY_S,
      mix: MIX,
      upstreamLatencyMs: UPSTREAM_LATENCY_MS,
      chunkDelayMs: CHUNK_DELAY_MS,
      gatewayEnv: gatewayEnv({
        fakeUrl: '<fake>',
        port: '<free port>',
        dataDir: '<temp dir>',
        overrides: {
          ...env,
          DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/<soak db>',
          REDIS_KEY_PREFIX: '<run prefix>',
        },
      }),
      criteria: { heap: HEAP_CRITERIA, countTolerance: COUNT_TOLERANCE, maxFailedShare: MAX_FAILED_SHARE },
    },
    gateway: { aliveAtEnd, hwmMb, outputTail },
    requests: outcome,
    cache,
    samples,
    settled,
    cleanup,
  };
  report.analysis = analyse(report);
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(path.join(resultsDir, 'soak.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(resultsDir, 'soak.md'), renderMarkdown(report));
  writeFileSync(path.join(resultsDir, 'soak.svg'), soakChartSvg(report));
  console.log(`\n${report.analysis.lines.join('\n')}`);
  console.log(
    `\nsuite took ${report.durationSeconds} s; written: bench/results/soak.{json,md}, bench/results/soak.svg`,
  );
  return report.analysis.pass ? 0 : 1;
}

async function sample({ pid, url, ports, t, load }) {
  const [metrics, pg] = await Promise.all([
    scrapeMetrics(url).catch(() => null),
    psql(`SELECT count(*) FROM pg_stat_activity WHERE datname = '${dbName}'`).catch(() => null),
  ]);
  // prom-client's default metrics carry the gateway's `gateway_` prefix; its own metrics are named in full.
  const m = (name, where) =>
    metrics ? (metricSum(metrics, name, where) ?? metricSum(metrics, `gateway_${name}`, where)) : null;
  const tcp = tcpConnections(pid, ports);
  return {
    t: round1(t),
    tMin: Math.round((t / 60) * 1000) / 1000,
    rssMb: round1(statusMb(pid, 'VmRSS')),
    heapUsedMb: mb(m('nodejs_heap_size_used_bytes')),
    heapTotalMb: mb(m('nodejs_heap_size_total_bytes')),
    externalMb: mb(m('nodejs_external_memory_bytes')),
    activeHandles: m('nodejs_active_handles_total'),
    eventLoopLagP99Ms:
      m('nodejs_eventloop_lag_p99_seconds') === null
        ? null
        : round2(m('nodejs_eventloop_lag_p99_seconds') * 1000),
    upstreamSocketsMetric: m('gateway_upstream_pool_sockets', { state: 'connected' }),
    upstreamSockets: tcp.upstream,
    pgConnections: pg === null ? null : Number(pg),
    pgTcp: tcp.postgres,
    redisConnections: tcp.redis,
    openStreams: m('gateway_open_streams'),
    openWebSockets: m('gateway_open_websockets'),
    inFlight: load?.inFlight() ?? 0,
    requestsDone: load?.done() ?? null,
  };
}

/** After the load: samples for SETTLE_S, then what must have fallen back to zero. */
async function settle({ pid, url, ports, fake, t0 }) {
  const after = [];
  const until = performance.now() + SETTLE_S * 1000;
  while (performance.now() < until) {
    await sleep(2000);
    after.push(await sample({ pid, url, ports, t: (performance.now() - t0) / 1000, load: null }));
  }
  const last = after[after.length - 1] ?? {};
  const stats = await fake.stats().catch(() => null);
  return {
    samples: after,
    openStreams: last.openStreams ?? null,
    openWebSockets: last.openWebSockets ?? null,
    upstreamRequestsOpen: stats?.activeRequests ?? null,
    upstreamSockets: last.upstreamSockets ?? null,
    pgConnections: last.pgConnections ?? null,
    redisConnections: last.redisConnections ?? null,
  };
}

function cacheDelta(before, after) {
  if (!before || !after) return null;
  const results = {};
  for (const s of after) {
    if (!s.name.endsWith('cache_results_total')) continue;
    const prev = before.find((b) => b.name === s.name && b.labels.result === s.labels.result)?.value ?? 0;
    results[s.labels.result] = (results[s.labels.result] ?? 0) + (s.value - prev);
  }
  return results;
}

function analyse(r) {
  const measured = r.samples.filter((s) => s.t >= WARMUP_S);
  const series = (key) => measured.map((s) => ({ tMin: s.tMin, value: s[key] }));
  const heap = heapTrend(series('heapUsedMb'));
  const rss = heapTrend(series('rssMb'));
  const counts = {
    upstreamSockets: countTrend(series('upstreamSockets'), COUNT_TOLERANCE.upstreamSockets, POOL_CONNECTIONS),
    pgConnections: countTrend(series('pgConnections'), COUNT_TOLERANCE.pgConnections),
    redisConnections: countTrend(series('redisConnections'), COUNT_TOLERANCE.redisConnections),
    activeHandles: countTrend(series('activeHandles'), COUNT_TOLERANCE.activeHandles),
  };
  const kinds = Object.values(r.requests.byKind);
  const sent = kinds.reduce((a, k) => a + k.sent, 0);
  const failed = kinds.reduce((a, k) => a + k.failed, 0);
  const st = r.settled;
  // Before V8's first full collection (1.5–2 min into a fresh process under this load) the heap only
  // grows, so a shorter window cannot tell a leak from a warming process: reported, not judged.
  const windowMin = measured.length > 1 ? measured[measured.length - 1].tMin - measured[0].tMin : 0;
  const heapJudged = windowMin >= MIN_HEAP_WINDOW_MIN;
  const heapText =
    `heap used: ${heap.slopeMbPerMin} MB/min (R² ${heap.r2}), fitted ${heap.fittedStartMb} → ${heap.fittedEndMb} MB ` +
    `(${signedPct(heap.fittedGrowthPct)}), last vs first quarter median ${signedPct(heap.quarterMedianGrowthPct)}`;
  const checks = [
    { ok: r.gateway.aliveAtEnd, text: `gateway alive at the end: ${r.gateway.aliveAtEnd ? 'yes' : 'no'}` },
    {
      ok: heap.enough,
      text: `enough samples after the warm-up to fit trends: ${measured.length} (${r.config.sampleSeconds} s apart)`,
    },
    ...(heapJudged ? [{ ok: !heap.growing, text: heapText }] : []),
    ...Object.entries(counts).map(([name, c]) => ({
      ok: !c.growing && !c.overBound,
      text:
        `${name}: ${c.slopePerMin}/min (fitted rise ${c.fittedRise}, tolerance ${c.tolerance}), first-quarter max ` +
        `${c.firstQuarterMax}, last-quarter min ${c.lastQuarterMin}, max ${c.max}${c.bound === null ? '' : ` (bound ${c.bound})`}`,
    })),
    {
      ok: st.openStreams === 0 && st.openWebSockets === 0 && st.upstreamRequestsOpen === 0,
      text: `after the load: open streams ${st.openStreams}, open WebSockets ${st.openWebSockets}, requests open at the fake ${st.upstreamRequestsOpen}`,
    },
    {
      ok: sent > 0 && failed / sent <= MAX_FAILED_SHARE,
      text: `failed requests: ${failed} of ${sent} (${sent ? round2((failed / sent) * 100) : 0} %; at most ${MAX_FAILED_SHARE * 100} %)`,
    },
  ];
  const lines = checks.map((c) => `${c.ok ? 'PASS' : 'FAIL'} ${c.text}`);
  if (!heapJudged) {
    lines.push(
      `INFO ${heapText}; not judged: the window after the warm-up is ${round2(windowMin)} min, under ${MIN_HEAP_WINDOW_MIN} min`,
    );
  }
  lines.push(
    `INFO RSS: ${rss.slopeMbPerMin} MB/min, fitted ${rss.fittedStartMb} → ${rss.fittedEndMb} MB (${signedPct(rss.fittedGrowthPct)}); not a pass/fail criterion`,
  );
  return {
    pass: checks.every((c) => c.ok),
    measuredSamples: measured.length,
    windowMin: round2(windowMin),
    heapJudged,
    heap,
    rss,
    counts,
    checks,
    lines,
  };
}

function renderMarkdown(r) {
  const c = r.config;
  const m = r.machine;
  const a = r.analysis;
  const lines = [
    `# Soak: ${c.minutes} minute${c.minutes === 1 ? '' : 's'} of mixed load on PostgreSQL and Redis`,
    '',
    `Command: \`${r.command}\` · commit ${r.git} · ${r.date} · ${r.durationSeconds} s · Node ${r.node}`,
    `Machine: ${m.cpuModel}, ${m.cpus} CPUs; load average before ${m.loadAvgBefore.join(' ')}, after ${m.loadAvgAfter.join(' ')}`,
    '',
    `Load: ${c.rate} requests/s (at most ${c.maxInFlight} in flight) for ${fmtTime(c.loadSeconds)}: ` +
      c.mix.map((x) => `${x.kind} ${x.weight} %`).join(', ') +
      `; ${c.websockets} WebSockets, one replaced every ${c.wsReplaceEverySeconds} s. The fake waits ${c.upstreamLatencyMs} ms ` +
      `before its headers and ${c.chunkDelayMs} ms between stream frames. Gateway: CACHE_DEFAULT_MODE=exact ` +
      `(memory tier ${c.gatewayEnv.CACHE_MEMORY_MAX_ENTRIES} entries, then Redis), a fresh PostgreSQL database ` +
      `(DB_POOL_SIZE=${c.gatewayEnv.DB_POOL_SIZE}), UPSTREAM_POOL_CONNECTIONS=${c.gatewayEnv.UPSTREAM_POOL_CONNECTIONS}. ` +
      `Samples every ${c.sampleSeconds} s; trends are fitted after the warm-up (${fmtTime(c.warmupSeconds)}) on ${a.measuredSamples} samples.`,
    '',
    '![samples over time](soak.svg)',
    '',
    '## Verdict',
    '',
    ...a.lines.map((l) => `- ${l}`),
    '',
    'Criteria: the heap fails only if it grows faster than ' +
      `${c.criteria.heap.slopeMbPerMin} MB/min AND by more than ${c.criteria.heap.fittedGrowthPct} % along the fitted line AND ` +
      `the median of the last quarter is over ${c.criteria.heap.quarterMedianGrowthPct} % above the first quarter's — a ` +
      'garbage-collector sawtooth or a cache filling to its cap trips one or two of these, a leak all three; it is ' +
      `judged on a window of at least ${MIN_HEAP_WINDOW_MIN} minutes after the warm-up (before V8's first full collection the ` +
      'heap only grows), and only reported on shorter runs. A count ' +
      '(sockets, connections, handles) fails if its fitted rise exceeds its tolerance ' +
      `(${Object.entries(c.criteria.countTolerance)
        .map(([k, v]) => `${k} ${v}`)
        .join(
          ', ',
        )}) AND its floor rose (the last quarter's minimum above the first quarter's maximum: leaked ` +
      'connections never close, so the minimum climbs), or if upstream sockets exceed the pool size. After the load, ' +
      `open streams, WebSockets and requests at the fake must be 0; at most ${c.criteria.maxFailedShare * 100} % of ` +
      'requests may fail.',
    '',
    '## Trends after the warm-up',
    '',
    '| series | slope | fitted start → end | other |',
    '|---|---:|---|---|',
    `| heap used (MB) | ${a.heap.slopeMbPerMin} MB/min | ${a.heap.fittedStartMb} → ${a.heap.fittedEndMb} (${signedPct(a.heap.fittedGrowthPct)}) | quarter medians ${signedPct(a.heap.quarterMedianGrowthPct)}, R² ${a.heap.r2} |`,
    `| RSS (MB) | ${a.rss.slopeMbPerMin} MB/min | ${a.rss.fittedStartMb} → ${a.rss.fittedEndMb} (${signedPct(a.rss.fittedGrowthPct)}) | quarter medians ${signedPct(a.rss.quarterMedianGrowthPct)} |`,
  ];
  for (const [name, t] of Object.entries(a.counts)) {
    lines.push(
      `| ${name} | ${t.slopePerMin}/min | rise ${t.fittedRise} (tolerance ${t.tolerance}) | first-quarter max ${t.firstQuarterMax}, last-quarter min ${t.lastQuarterMin}, max ${t.max} |`,
    );
  }
  const first = r.samples.find((s) => s.t >= c.warmupSeconds) ?? r.samples[0];
  const last = r.samples[r.samples.length - 1];
  lines.push(
    '',
    '## Samples at the end of the warm-up and at the end of the load',
    '',
    '| at | RSS MB | heap used MB | heap total MB | external MB | active handles | upstream sockets (metric) | Postgres conns (TCP) | Redis conns | open streams | open WS | event-loop lag p99 ms | requests done |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  );
  for (const s of [first, last].filter(Boolean)) {
    lines.push(
      `| ${fmtTime(s.t)} | ${s.rssMb} | ${s.heapUsedMb} | ${s.heapTotalMb} | ${s.externalMb} | ${s.activeHandles} | ` +
        `${s.upstreamSockets} (${s.upstreamSocketsMetric}) | ${s.pgConnections} (${s.pgTcp}) | ${s.redisConnections} | ` +
        `${s.openStreams} | ${s.openWebSockets} | ${s.eventLoopLagP99Ms} | ${s.requestsDone} |`,
    );
  }
  lines.push(
    '',
    '## Requests',
    '',
    '| kind | sent | ok | cancelled | failed | p50 ms | p99 ms | errors |',
    '|---|---:|---:|---:|---:|---:|---:|---|',
  );
  for (const [kind, k] of Object.entries(r.requests.byKind)) {
    lines.push(
      `| ${kind} | ${k.sent} | ${k.ok} | ${k.cancelled} | ${k.failed} | ${fmt(k.latencyMs.p50)} | ${fmt(k.latencyMs.p99)} | ` +
        `${Object.entries(k.errors)
          .map(([e, n]) => `${e}: ${n}`)
          .join('; ')} |`,
    );
  }
  lines.push(
    '',
    `Not started because ${c.maxInFlight} were in flight: ${r.requests.skippedAtCap}. WebSockets opened: ` +
      `${r.requests.websocketsOpened}, lost (closed without being asked): ${r.requests.websocketsLost}. ` +
      `Cache results over the run (gateway metrics): ${
        r.cache
          ? Object.entries(r.cache)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')
          : 'not read'
      }.`,
    '',
    `After the load (${SETTLE_S} s): open streams ${r.settled.openStreams}, open WebSockets ${r.settled.openWebSockets}, ` +
      `requests open at the fake ${r.settled.upstreamRequestsOpen}, upstream sockets ${r.settled.upstreamSockets}, ` +
      `Postgres connections ${r.settled.pgConnections}, Redis connections ${r.settled.redisConnections}. Peak RSS ` +
      `(VmHWM) ${r.gateway.hwmMb} MB.`,
    '',
    `Clean-up: Redis keys under the run prefix deleted ${r.cleanup.redis.deleted}, left ${r.cleanup.redis.remaining}` +
      `${r.cleanup.redis.error ? ` (failed: ${r.cleanup.redis.error})` : ''}; ${r.cleanup.postgres}.`,
    '',
    "Connections are the gateway process's own established TCP sockets (its socket inodes in /proc/<pid>/fd matched in " +
      '/proc/net/tcp and tcp6) to the fake, PostgreSQL and Redis; "Postgres conns" is also read from pg_stat_activity ' +
      'for the soak database (the number before the parenthesis). One run on a shared 2-core machine.',
    '',
  );
  return lines.join('\n');
}

/** Established TCP connections of `pid` to each port in `ports` (by socket inode). */
function tcpConnections(pid, ports) {
  const inodes = new Set();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        const match = /^socket:\[(\d+)\]$/.exec(link);
        if (match) inodes.add(match[1]);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    return Object.fromEntries(Object.keys(ports).map((k) => [k, null]));
  }
  const counts = Object.fromEntries(Object.keys(ports).map((k) => [k, 0]));
  const byPort = new Map(Object.entries(ports).map(([k, p]) => [p, k]));
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '01' || !inodes.has(f[9])) continue;
      const port = parseInt(f[2].split(':')[1], 16);
      const name = byPort.get(port);
      if (name) counts[name]++;
    }
  }
  return counts;
}

async function psql(sql) {
  const { stdout } = await run('psql', psqlArgs('postgres', sql), { timeout: 10_000 });
  return stdout.trim();
}

function psqlSync(db, sql) {
  return execFileSync('psql', psqlArgs(db, sql), {
    encoding: 'utf8',
    timeout: 30_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function psqlArgs(db, sql) {
  return [
    '-h',
    PG_ADMIN.host,
    '-p',
    PG_ADMIN.port,
    '-U',
    PG_ADMIN.user,
    '-d',
    db,
    '-v',
    'ON_ERROR_STOP=1',
    '-tAc',
    sql,
  ];
}

/** Deletes the run's Redis keys; a failure is reported in the results, not thrown. */
function cleanRedis() {
  try {
    return deletePrefix(REDIS_URL, keyPrefix);
  } catch (err) {
    return { deleted: null, remaining: null, error: err.message.split('\n')[0] };
  }
}

function dropDatabaseSync() {
  try {
    psqlSync('postgres', `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    dbCreated = false;
    return true;
  } catch {
    return false;
  }
}

function alive(child) {
  return child.exitCode === null && child.signalCode === null;
}

function mb(bytes) {
  return bytes === null || bytes === undefined ? null : round1(bytes / MB);
}

function fmt(x) {
  return x === null || x === undefined ? '–' : x.toFixed(1);
}

function signedPct(x) {
  return x === null || x === undefined ? '–' : `${x >= 0 ? '+' : ''}${x.toFixed(1)} %`;
}

function fmtTime(seconds) {
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
