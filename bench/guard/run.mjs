// Performance guard for CI: the gateway against the undici floor at 50 connections, compared with a
// recorded baseline in ratios (not absolute times), so a slower or busier machine does not trip it.
// Usage: npm run bench:guard            (build, then `node bench/guard/run.mjs`)
//        node bench/guard/run.mjs --write-baseline   (records bench/guard/baseline.json from this run)
//        node bench/guard/run.mjs --no-retry         (one measurement decides)
//
// The OpenAI fake waits 20 ms before its headers; the fake direct, the floor (bench/gateway/floor.mjs)
// and the gateway (a copy of dist/, auth off on loopback, cache off, embedded PostgreSQL) answer the
// same non-streamed chat completion, hammered by autocannon at 50 connections: ROUNDS rounds, the
// target order rotated each round, 0.5 s of warm-up then 2.5 s measured per target. Per round, two
// ratios, so that a uniformly slower or faster machine leaves them where they were:
//   throughput: gateway ÷ floor req/s;
//   overhead:   gateway ÷ floor CPU time per request (utime + stime of each process tree from /proc,
//               over the whole run, warm-up included, divided by every answer it gave).
// The medians of the rounds are compared with the baseline. Regression (exit 1) when
//   throughput < THROUGHPUT_FLOOR × baseline, or overhead > OVERHEAD_CEILING × baseline,
// or any request failed; a failing measurement is repeated once, and the second one decides. The
// gateway's added p50 (gateway p50 − direct p50) is reported beside them but not judged: it is an
// absolute time, and on a machine where the gateway's core saturates at 50 connections it is mostly
// queueing. Gateway and floor on CPU 0, the fake and the load generator on CPU 1.
// Results: bench/results/guard.json. About a minute, under 2 with the repeat.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chatRequest, hammer } from '../gateway/load.mjs';
import { stopChild } from '../gateway/procs.mjs';
import {
  compileFakes,
  gitCommit,
  installAbortHandlers,
  machineInfo,
  pinSelf,
  round2,
  snapshotDist,
  startFake,
} from '../shared/run-support.mjs';
import { BENCH_API_KEY, startFloor, startGateway, treeCpuSeconds } from '../shared/servers.mjs';

const SERVER_CPU = 0;
const CLIENT_CPU = 1;
const UPSTREAM_LATENCY_MS = 20;
const CONNECTIONS = 50;
const ROUNDS = 5;
const WARMUP_SECONDS = 0.5;
const SECONDS = 2.5;
const THROUGHPUT_FLOOR = 0.6;
const OVERHEAD_CEILING = 1.6;
const DEADLINE_MS = 170_000;

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const baselineFile = path.join(here, 'baseline.json');
const resultsFile = path.join(root, 'bench/results/guard.json');
const writeBaseline = process.argv.includes('--write-baseline');
/** One measurement decides (no repeat of a failing one). */
const noRetry = process.argv.includes('--no-retry');

await pinSelf({ script: fileURLToPath(import.meta.url), cpu: CLIENT_CPU, envVar: 'BENCH_GUARD_PINNED' });

const children = new Set();
const workDir = mkdtempSync(path.join(os.tmpdir(), 'guard-bench-'));
installAbortHandlers({ children, workDir, name: 'guard', deadlineMs: DEADLINE_MS });
const startedAt = new Date();
const loadAvgBefore = os.loadavg().map(round2);
let exitCode = 1;
try {
  exitCode = await main();
} finally {
  await Promise.all([...children].map(stopChild));
  rmSync(workDir, { recursive: true, force: true });
}
process.exit(exitCode);

async function main() {
  const baseline = writeBaseline ? null : readBaseline();
  if (!writeBaseline && !baseline) {
    console.error(
      `${path.relative(root, baselineFile)} is missing or outdated: run \`node bench/guard/run.mjs --write-baseline\``,
    );
    return 2;
  }
  const appDir = await snapshotDist({ root, workDir, waitMs: 60_000 });
  const fakesDir = compileFakes({ root, workDir });
  const fake = await startFake({
    fakesDir,
    latencyMs: UPSTREAM_LATENCY_MS,
    cpu: CLIENT_CPU,
    children,
    timeoutMs: 60_000,
  });
  const gateway = await startGateway({
    gatewayMain: path.join(appDir, 'dist/src/main.js'),
    workDir,
    fakeUrl: fake.url,
    cpu: SERVER_CPU,
    children,
  });
  const floor = await startFloor({ fakeUrl: fake.url, cpu: SERVER_CPU, children });
  const targets = [
    { name: 'direct', origin: fake.url, model: 'gpt-4o-mini', apiKey: BENCH_API_KEY, pid: fake.child.pid },
    { name: 'floor', origin: floor.url, model: 'openai/gpt-4o-mini', pid: floor.child.pid },
    { name: 'gateway', origin: gateway.url, model: 'openai/gpt-4o-mini', pid: gateway.child.pid },
  ];
  for (const t of targets) await verify(t);
  // The gateway's first seconds under load run cold code; one throwaway pass warms every target.
  for (const t of targets)
    await hammer({ origin: t.origin, request: requestFor(t), connections: CONNECTIONS, seconds: 1 });

  const attempts = [];
  attempts.push(await measure(targets, 1));
  if (!writeBaseline) attempts[0].verdict = judge(attempts[0].median, baseline);
  if (!writeBaseline && !noRetry && !attempts[0].verdict.pass) {
    console.log('regression on the first measurement; measuring once more');
    const second = await measure(targets, 2);
    second.verdict = judge(second.median, baseline);
    attempts.push(second);
  }
  const final = attempts[attempts.length - 1];
  const report = {
    suite: 'guard',
    command: writeBaseline ? 'node bench/guard/run.mjs --write-baseline' : 'npm run bench:guard',
    date: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    node: process.version,
    git: gitCommit(root),
    machine: machineInfo(loadAvgBefore),
    config: {
      upstreamLatencyMs: UPSTREAM_LATENCY_MS,
      connections: CONNECTIONS,
      rounds: ROUNDS,
      warmupSeconds: WARMUP_SECONDS,
      seconds: SECONDS,
      thresholds: { throughputFloor: THROUGHPUT_FLOOR, overheadCeiling: OVERHEAD_CEILING },
    },
    baseline,
    attempts,
    result: writeBaseline ? 'baseline written' : final.verdict.pass ? 'pass' : 'regression',
  };
  mkdirSync(path.dirname(resultsFile), { recursive: true });
  writeFileSync(resultsFile, `${JSON.stringify(report, null, 2)}\n`);
  if (writeBaseline) {
    const record = {
      recordedAt: report.date,
      git: report.git,
      machine: { cpuModel: report.machine.cpuModel, cpus: report.machine.cpus, loadAvgBefore },
      config: {
        upstreamLatencyMs: UPSTREAM_LATENCY_MS,
        connections: CONNECTIONS,
        rounds: ROUNDS,
        seconds: SECONDS,
      },
      ratio: final.median.ratio,
      cpuRatio: final.median.cpuRatio,
      addedP50Ms: final.median.addedP50Ms,
      rounds: final.rounds,
    };
    writeFileSync(baselineFile, `${JSON.stringify(record, null, 2)}\n`);
    console.log(
      `baseline written: gateway/floor req/s ${record.ratio}, CPU per request ${record.cpuRatio}, ` +
        `added p50 ${record.addedP50Ms} ms -> ${path.relative(root, baselineFile)}`,
    );
    return 0;
  }
  console.log(final.verdict.lines.join('\n'));
  console.log(
    `guard ${report.result} in ${report.durationSeconds} s; written: ${path.relative(root, resultsFile)}`,
  );
  return final.verdict.pass ? 0 : 1;
}

function requestFor(target) {
  return chatRequest({ model: target.model, stream: false, apiKey: target.apiKey });
}

async function measure(targets, attempt) {
  const rounds = [];
  for (let round = 0; round < ROUNDS; round++) {
    const k = round % targets.length;
    const order = [...targets.slice(k), ...targets.slice(0, k)];
    const row = { round };
    for (const t of order) {
      const cpuBefore = treeCpuSeconds(t.pid);
      const r = await hammer({
        origin: t.origin,
        request: requestFor(t),
        connections: CONNECTIONS,
        seconds: SECONDS,
        warmupSeconds: WARMUP_SECONDS,
      });
      const answers = r.ok + r.non2xx + (r.warmupAnswers ?? 0);
      row[t.name] = {
        reqPerSec: Math.round(r.reqPerSec),
        p50: r.latency.p50,
        p99: r.latency.p99,
        cpuUsPerReq: answers > 0 ? Math.round(((treeCpuSeconds(t.pid) - cpuBefore) * 1e6) / answers) : null,
        failed: r.non2xx + r.errors + r.timeouts,
      };
    }
    row.ratio = round3(row.gateway.reqPerSec / row.floor.reqPerSec);
    row.cpuRatio = round3(row.gateway.cpuUsPerReq / row.floor.cpuUsPerReq);
    row.addedP50Ms = round3(row.gateway.p50 - row.direct.p50);
    row.floorAddedP50Ms = round3(row.floor.p50 - row.direct.p50);
    rounds.push(row);
    console.log(
      `  attempt ${attempt} round ${round + 1}: gateway ${row.gateway.reqPerSec} / floor ${row.floor.reqPerSec} req/s ` +
        `= ${row.ratio}; CPU µs/req gateway ${row.gateway.cpuUsPerReq} / floor ${row.floor.cpuUsPerReq} = ` +
        `${row.cpuRatio}; added p50 gateway ${row.addedP50Ms} ms, floor ${row.floorAddedP50Ms} ms; failed ` +
        `${row.direct.failed + row.floor.failed + row.gateway.failed}`,
    );
  }
  const median = {
    ratio: round3(med(rounds.map((r) => r.ratio))),
    cpuRatio: round3(med(rounds.map((r) => r.cpuRatio))),
    addedP50Ms: round3(med(rounds.map((r) => r.addedP50Ms))),
    floorAddedP50Ms: round3(med(rounds.map((r) => r.floorAddedP50Ms))),
    failed: rounds.reduce((a, r) => a + r.direct.failed + r.floor.failed + r.gateway.failed, 0),
  };
  return { attempt, rounds, median };
}

function judge(m, baseline) {
  const minRatio = round3(THROUGHPUT_FLOOR * baseline.ratio);
  const maxCpuRatio = round3(OVERHEAD_CEILING * baseline.cpuRatio);
  const checks = [
    {
      ok: m.ratio >= minRatio,
      text: `throughput, gateway/floor req/s ${m.ratio} (baseline ${baseline.ratio}; regression below ${minRatio})`,
    },
    {
      ok: Number.isFinite(m.cpuRatio) && m.cpuRatio <= maxCpuRatio,
      text: `overhead, gateway/floor CPU per request ${m.cpuRatio} (baseline ${baseline.cpuRatio}; regression above ${maxCpuRatio})`,
    },
    { ok: m.failed === 0, text: `failed requests: ${m.failed}` },
  ];
  const info = `gateway added p50 ${m.addedP50Ms} ms (baseline ${baseline.addedP50Ms} ms; reported, not judged)`;
  return {
    pass: checks.every((c) => c.ok),
    checks,
    lines: [...checks.map((c) => `${c.ok ? 'PASS' : 'FAIL'} ${c.text}`), `INFO ${info}`],
  };
}

/** The recorded baseline, or null when it is missing or predates the CPU-per-request ratio. */
function readBaseline() {
  try {
    const b = JSON.parse(readFileSync(baselineFile, 'utf8'));
    return Number.isFinite(b.ratio) && Number.isFinite(b.cpuRatio) ? b : null;
  } catch {
    return null;
  }
}

async function verify(target) {
  const req = requestFor(target);
  const res = await fetch(target.origin + req.path, { method: 'POST', headers: req.headers, body: req.body });
  const text = await res.text();
  if (res.status !== 200 || JSON.parse(text).choices?.[0]?.message?.content !== 'Echo: hello there') {
    throw new Error(`${target.name} answered ${res.status}: ${text.slice(0, 300)}`);
  }
}

function med(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function round3(x) {
  return Math.round(x * 1000) / 1000;
}
