// Routing cost: an alias with three targets (weighted round-robin, so every call runs the balancer,
// the cooldown check, the attempt timers and the per-target bookkeeping) against the same model
// named directly (one attempt, no router), on the same gateway process, measured in one run.
// Usage: npm run build && node bench/run.mjs routing   (or `node bench/routing/run.mjs`)
//
// Setup: the OpenAI fake (test/support/fakes, served by bench/gateway/fake-server.mjs) with 20 ms
// before its headers; one gateway (a copy of dist/, auth off, cache off) whose GATEWAY_CONFIG
// defines `trio`: three targets with weights 1:1:1, all served by the fake (so the upstream is the
// same and only the routing differs). DIRECT (`openai/gpt-4o-mini`) and ALIAS (`trio`) are hammered
// with autocannon in alternating order, round after round: concurrency 50 (5 rounds) and 1
// (3 rounds), 5 s each after 0.5 s of warm-up. The gateway runs on CPU 0, the fake and this load
// generator on CPU 1. Per round: req/s, p50/p99, gateway CPU µs per request.
// Results: bench/results/routing.{json,md}. Nothing here fails the process on a slow figure.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chatRequest, hammer } from '../gateway/load.mjs';
import { cpuSeconds, freePort, spawnPinned, stopChild, waitForHttp } from '../gateway/procs.mjs';
import { latencyStats, median } from '../limits/report.mjs';
import {
  compileFakes,
  gitCommit,
  installAbortHandlers,
  machineInfo,
  pinSelf,
  round2,
  snapshotDist,
  startFake,
  track,
} from '../shared/run-support.mjs';

const HOST = '127.0.0.1';
const SERVER_CPU = 0;
const CLIENT_CPU = 1;
const UPSTREAM_MS = 20;
const SCENARIOS = [
  { connections: 50, rounds: 5 },
  { connections: 1, rounds: 3 },
];
const SECONDS = 5;
const WARMUP_SECONDS = 0.5;
const COMMAND = 'node bench/run.mjs routing';
const TARGETS = {
  direct: { label: 'DIRECT', model: 'openai/gpt-4o-mini' },
  alias: { label: 'ALIAS', model: 'trio' },
};

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const resultsDir = path.join(root, 'bench/results');

await pinSelf({ script: fileURLToPath(import.meta.url), cpu: CLIENT_CPU, envVar: 'BENCH_ROUTING_PINNED' });

const children = new Set();
const workDir = mkdtempSync(path.join(os.tmpdir(), 'routing-bench-'));
installAbortHandlers({ children, workDir, name: 'routing', deadlineMs: 240_000 });
const startedAt = new Date();
const loadAvgBefore = os.loadavg().map(round2);
try {
  await main();
} finally {
  await Promise.all([...children].map(stopChild));
  rmSync(workDir, { recursive: true, force: true });
}

async function main() {
  const appDir = await snapshotDist({ root, workDir, waitMs: 60_000 });
  const fakesDir = compileFakes({ root, workDir });
  const fake = await startFake({
    fakesDir,
    latencyMs: UPSTREAM_MS,
    cpu: CLIENT_CPU,
    children,
    timeoutMs: 60_000,
  });
  const gateway = await startGateway(path.join(appDir, 'dist/src/main.js'), fake.url);
  for (const t of Object.values(TARGETS)) {
    const r = await hammer({ origin: gateway.url, request: request(t), connections: 50, seconds: 2 });
    if (r.non2xx + r.errors + r.timeouts > 0)
      throw new Error(`${t.label} failed during warm-up: ${JSON.stringify(r.statuses)}`);
    console.log(`warm-up ${t.label.padEnd(6)} ${Math.round(r.reqPerSec)} req/s`);
  }
  const scenarios = [];
  for (const spec of SCENARIOS) scenarios.push(await runScenario(spec, gateway));
  const routes = await (await fetch(`${gateway.url}/api/routes`)).json();
  await stopChild(gateway.child);
  const report = {
    command: COMMAND,
    startedAt: startedAt.toISOString(),
    commit: gitCommit(root),
    upstreamMs: UPSTREAM_MS,
    seconds: SECONDS,
    machine: machineInfo(loadAvgBefore),
    scenarios,
    aliasSplit: routes.data?.[0]?.targets?.map((t) => ({ id: t.id, ewma_ms: t.ewma_ms })) ?? null,
  };
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(path.join(resultsDir, 'routing.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(resultsDir, 'routing.md'), renderMarkdown(report));
  console.log(`\nwrote bench/results/routing.{json,md}`);
  for (const s of scenarios) console.log(summaryLine(s));
}

function request(target) {
  return chatRequest({ model: target.model, stream: false });
}

async function runScenario(spec, gateway) {
  const rows = { direct: [], alias: [] };
  const raw = { direct: [], alias: [] };
  for (let round = 0; round < spec.rounds; round++) {
    const order = round % 2 === 0 ? ['direct', 'alias'] : ['alias', 'direct'];
    for (const id of order) {
      const t = TARGETS[id];
      await hammer({
        origin: gateway.url,
        request: request(t),
        connections: spec.connections,
        seconds: WARMUP_SECONDS,
      });
      const cpuBefore = cpuSeconds(gateway.child.pid);
      const r = await hammer({
        origin: gateway.url,
        request: request(t),
        connections: spec.connections,
        seconds: SECONDS,
      });
      const cpu = cpuSeconds(gateway.child.pid) - cpuBefore;
      const stats = latencyStats(r.latencies);
      const row = {
        round,
        reqPerSec: Math.round(r.reqPerSec),
        p50: stats.p50,
        p99: stats.p99,
        gatewayUsPerReq: r.ok > 0 ? Math.round((cpu * 1e6) / r.ok) : null,
        failed: r.non2xx + r.errors + r.timeouts,
      };
      rows[id].push(row);
      for (const ms of r.latencies) raw[id].push(ms);
      console.log(
        `  c${String(spec.connections).padEnd(2)} r${round} ${t.label.padEnd(6)} ${String(row.reqPerSec).padStart(5)} req/s  ` +
          `p50 ${row.p50}  p99 ${row.p99} ms  gw ${row.gatewayUsPerReq} µs/req  failed ${row.failed}`,
      );
    }
  }
  const summary = (id) => ({
    medianReqPerSec: median(rows[id].map((r) => r.reqPerSec)),
    medianP50: round3(median(rows[id].map((r) => r.p50))),
    medianP99: round3(median(rows[id].map((r) => r.p99))),
    medianGatewayUsPerReq: median(rows[id].map((r) => r.gatewayUsPerReq)),
    pooled: latencyStats(raw[id]),
    rounds: rows[id],
  });
  const direct = summary('direct');
  const alias = summary('alias');
  return {
    ...spec,
    direct,
    alias,
    added: {
      p50Ms: round3(alias.medianP50 - direct.medianP50),
      p99Ms: round3(alias.medianP99 - direct.medianP99),
      gatewayUsPerReq: alias.medianGatewayUsPerReq - direct.medianGatewayUsPerReq,
      reqPerSecRatio: round3(alias.medianReqPerSec / direct.medianReqPerSec),
    },
  };
}

function round3(x) {
  return Math.round(x * 1000) / 1000;
}

function summaryLine(s) {
  return (
    `c${s.connections}: alias adds p50 ${s.added.p50Ms} ms, p99 ${s.added.p99Ms} ms, ` +
    `${s.added.gatewayUsPerReq} µs CPU/req; req/s ratio ${s.added.reqPerSecRatio}`
  );
}

function renderMarkdown(r) {
  const lines = [
    '# Routing cost: alias with three targets vs the model named directly',
    '',
    `Command: \`${r.command}\` · commit ${r.commit} · ${r.startedAt} · upstream ${r.upstreamMs} ms before headers · ${r.seconds} s per round`,
    `Machine: ${r.machine.cpuModel}, ${r.machine.cpus} CPUs; load before ${r.machine.loadAvgBefore.join(' ')}`,
    '',
    '| connections | target | req/s (median) | p50 ms | p99 ms | gateway CPU µs/req |',
    '|---|---|---|---|---|---|',
  ];
  for (const s of r.scenarios) {
    for (const id of ['direct', 'alias']) {
      const t = s[id];
      lines.push(
        `| ${s.connections} | ${TARGETS[id].label} | ${t.medianReqPerSec} | ${t.medianP50} | ${t.medianP99} | ${t.medianGatewayUsPerReq} |`,
      );
    }
  }
  lines.push('', '## Added by routing (ALIAS − DIRECT, medians of rounds)', '');
  for (const s of r.scenarios) lines.push(`- ${summaryLine(s)}`);
  lines.push(
    '',
    'ALIAS is a weighted alias over three targets served by the same fake upstream, so the difference is',
    "the router's own work: balancing, the cooldown check, per-attempt timers and bookkeeping.",
    '',
  );
  return lines.join('\n');
}

async function startGateway(gatewayMain, fakeUrl) {
  const port = await freePort(HOST);
  const dataDir = path.join(workDir, 'data');
  const cwd = path.join(workDir, 'cwd');
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(cwd, { recursive: true });
  const config = path.join(workDir, 'gateway.yaml');
  writeFileSync(
    config,
    [
      'aliases:',
      '  trio:',
      '    strategy: weighted',
      '    targets:',
      ...['a', 'b', 'c'].flatMap((n) => [
        '      - model: openai/gpt-4o-mini',
        `        name: trio-${n}`,
        `        base_url: ${fakeUrl}/v1`,
      ]),
      '',
    ].join('\n'),
  );
  const env = {
    HOST,
    PORT: String(port),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    OPENAI_API_KEY: 'sk-bench',
    OPENAI_BASE_URL: `${fakeUrl}/v1`,
    CACHE_DEFAULT_MODE: 'off',
    GATEWAY_CONFIG: config,
  };
  const child = track(
    children,
    spawnPinned({
      name: 'gateway',
      cpu: SERVER_CPU,
      args: [gatewayMain],
      env: { ...process.env, ...env },
      cwd,
    }),
  );
  const url = `http://${HOST}:${port}`;
  await waitForHttp(child, `${url}/health/ready`, 90_000);
  return { child, url };
}
