// Gateway overhead: what the built gateway adds on top of its upstream, against a floor.
// Usage: npm run build && node bench/gateway/run.mjs   (or `node bench/run.mjs gateway`)
//
// Three targets answer the same OpenAI chat completion, non-streamed and streamed:
//   direct  - the OpenAI fake upstream (test/support/fakes, compiled here with tsconfig.bench.json)
//             waiting 20 ms before its headers, like a fast model;
//   gateway - dist/src/main.js (embedded PGlite, cache off, auth off on loopback) in front of it;
//   floor   - bench/gateway/floor.mjs, a few-line node:http + undici proxy (JSON re-serialised).
// Each is hammered with autocannon at 1, 10, 50 and 200 connections (latencies taken exactly from
// its response events); streamed time to first byte is timed with an undici loop at 1 and 50
// connections; then the fake drops its delay to 0 ms and gateway vs floor run to saturation.
// Added latency = target minus direct. CPU (utime+stime) and RSS (VmRSS) of the target are read
// from /proc around and during each phase. Gateway and floor are pinned to CPU 0; the fake and
// this load generator (which re-executes itself under taskset) to CPU 1.
// The gateway runs from a copy of dist/ (a concurrent `npm run build` cannot pull it away) and is
// booted twice: the first boot creates its embedded database, the measured one reopens it.
// Results: bench/results/gateway.{json,md}. Target misses are reported, not fatal.
// `--render` re-derives the targets and gateway.md from an existing gateway.json (no measuring).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chatRequest, firstByteLoop, hammer } from './load.mjs';
import {
  cpuSeconds,
  cpuTicks,
  freePort,
  rssSampler,
  spawnPinned,
  statusMb,
  stopChild,
  waitForHttp,
  waitForLine,
} from './procs.mjs';
import {
  checkLines,
  evaluateTargets,
  renderLoadedTable,
  renderMarkdown,
  renderSaturationTable,
  withAddedLatency,
} from './report.mjs';
import {
  compileFakes,
  coreBusy,
  gitCommit,
  installAbortHandlers,
  machineInfo,
  packageVersions,
  pinSelf,
  round1,
  round2,
  snapshotDist,
  startFake,
  track,
} from '../shared/run-support.mjs';

const HOST = '127.0.0.1';
const SERVER_CPU = 0;
const CLIENT_CPU = 1;
const API_KEY = 'sk-bench';
const USER_MESSAGE = 'hello there';
const UPSTREAM_LATENCY_MS = 20;
const MODES = ['json', 'stream'];
const CONCURRENCIES = [1, 10, 50, 200];
const TTFB_CONCURRENCIES = [1, 50];
const SATURATION_CONNECTIONS = 100;
const WARMUP_SECONDS = 1;
const SECONDS = 5;
const TTFB_SECONDS = 3;
const TTFB_WARMUP_SECONDS = 0.5;
const RSS_SAMPLE_MS = 100;
const BOOT_TIMEOUT_MS = 60_000;
const DIST_WAIT_MS = 60_000;
// (8 loaded cells + 2 saturation) x 3 targets x 6 s + 6 TTFB loops x 3.5 s + 2 boots: about 3.7 min.
const DEADLINE_MS = 330_000;

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const resultsDir = path.join(root, 'bench/results');

if (process.argv.includes('--render')) {
  rerender();
  process.exit(0);
}
await pinSelf({ script: fileURLToPath(import.meta.url), cpu: CLIENT_CPU, envVar: 'BENCH_CLIENT_PINNED' });

const children = new Set();
const workDir = mkdtempSync(path.join(os.tmpdir(), 'gateway-bench-'));
installAbortHandlers({ children, workDir, name: 'gateway', deadlineMs: DEADLINE_MS });

const startedAt = new Date();
const loadAvgBefore = os.loadavg().map(round2);
try {
  await main();
} finally {
  await Promise.all([...children].map(stopChild));
  rmSync(workDir, { recursive: true, force: true });
}

async function main() {
  // A copy of dist/: the run uses one build even if someone rebuilds meanwhile.
  const appDir = await snapshotDist({ root, workDir, waitMs: DIST_WAIT_MS });
  const gatewayMain = path.join(appDir, 'dist/src/main.js');
  const fakesDir = compileFakes({ root, workDir });
  const fake = await startFake({
    fakesDir,
    latencyMs: UPSTREAM_LATENCY_MS,
    cpu: CLIENT_CPU,
    children,
    timeoutMs: BOOT_TIMEOUT_MS,
  });
  const firstBootMb = await initGatewayData(gatewayMain, fake.url);
  const gateway = await startGateway(gatewayMain, fake.url);
  const floor = await startFloor(fake.url);
  // Only the fake wants a bearer key: the gateway without ADMIN_API_KEY takes key-less loopback
  // callers as admin (an unknown key would be a 401), and the floor adds the key itself.
  const targets = [
    { name: 'direct', origin: fake.url, model: 'gpt-4o-mini', apiKey: API_KEY, pid: fake.child.pid },
    { name: 'gateway', origin: gateway.url, model: 'openai/gpt-4o-mini', pid: gateway.child.pid },
    { name: 'floor', origin: floor.url, model: 'openai/gpt-4o-mini', pid: floor.child.pid },
  ];
  for (const target of targets) await verifyTarget(target);
  const gatewayBootMb = statusMb(gateway.child.pid, 'VmRSS');

  const byName = Object.fromEntries(targets.map((t) => [t.name, t]));
  const sampler = rssSampler(() => ({ gateway: gateway.child.pid, floor: floor.child.pid }), RSS_SAMPLE_MS);
  const ctx = { fakePid: fake.child.pid, sampler, peaks: { gateway: 0, floor: 0 } };

  const { loaded, ttfb } = await latencyBound(byName, ctx);
  await fake.setLatency(0);
  const saturation = await saturate(byName, ctx);
  sampler.stop();

  const memory = {
    gatewayFirstBootMb: round1(firstBootMb),
    gatewayBootMb: round1(gatewayBootMb),
    gatewayPeakMb: round1(ctx.peaks.gateway),
    gatewayHwmMb: round1(statusMb(gateway.child.pid, 'VmHWM')),
    floorPeakMb: round1(ctx.peaks.floor),
  };
  const report = buildReport({ loaded: withAddedLatency(loaded), ttfb, saturation, memory });
  writeResults(report);
}

/** Interleaved cells: per mode and concurrency, direct then gateway/floor in alternating order. */
async function latencyBound(targets, ctx) {
  const loaded = [];
  const ttfb = [];
  let cell = 0;
  for (const mode of MODES) {
    for (const connections of CONCURRENCIES) {
      const order = targetOrder(cell++, targets);
      for (const target of order) loaded.push(await measure(target, mode, connections, ctx));
      if (mode !== 'stream' || !TTFB_CONCURRENCIES.includes(connections)) continue;
      for (const target of order) ttfb.push(await measureFirstByte(target, mode, connections));
    }
  }
  return { loaded, ttfb };
}

async function saturate(targets, ctx) {
  const rows = [];
  for (const [i, mode] of MODES.entries()) {
    for (const target of targetOrder(i, targets)) {
      rows.push(await measure(target, mode, SATURATION_CONNECTIONS, ctx));
    }
  }
  return rows;
}

function targetOrder(index, { direct, gateway, floor }) {
  return index % 2 === 0 ? [direct, gateway, floor] : [direct, floor, gateway];
}

/** Warm-up, then one measured autocannon run with CPU and RSS of the target around it. */
async function measure(target, mode, connections, ctx) {
  const request = chatRequest({ model: target.model, stream: mode === 'stream', apiKey: target.apiKey });
  const load = { origin: target.origin, request, connections };
  await hammer({ ...load, seconds: WARMUP_SECONDS });
  ctx.sampler.peaks();
  const before = cpuSnapshot(target.pid, ctx.fakePid);
  // The raw latencies stay out of the results file (the summary is in `latency`).
  const {
    latencies: _latencies,
    statuses: _statuses,
    ...result
  } = await hammer({ ...load, seconds: SECONDS });
  const cpu = cpuUsage(before, cpuSnapshot(target.pid, ctx.fakePid), result);
  const rssPeakMb = ctx.sampler.peaks()[target.name];
  if (rssPeakMb !== undefined) ctx.peaks[target.name] = Math.max(ctx.peaks[target.name], rssPeakMb);
  const row = { mode, connections, target: target.name, ...result, cpu, rssPeakMb: round1(rssPeakMb) };
  logRow(row);
  return row;
}

async function measureFirstByte(target, mode, connections) {
  const request = chatRequest({ model: target.model, stream: mode === 'stream', apiKey: target.apiKey });
  const result = await firstByteLoop({
    origin: target.origin,
    request,
    connections,
    seconds: TTFB_SECONDS,
    warmupSeconds: TTFB_WARMUP_SECONDS,
  });
  console.log(
    `  ttfb   ${mode} c${connections} ${target.name.padEnd(7)} first byte p50 ${result.firstByte.p50} ms ` +
      `p99 ${result.firstByte.p99} ms (n=${result.requests}, failures ${result.failures})`,
  );
  return { mode, connections, target: target.name, ...result };
}

function cpuSnapshot(targetPid, fakePid) {
  const client = process.cpuUsage();
  return {
    wall: performance.now(),
    cpus: cpuTicks(),
    target: cpuSeconds(targetPid),
    fake: cpuSeconds(fakePid),
    client: (client.user + client.system) / 1e6,
  };
}

/**
 * Utilisation (1 = one core busy) over the phase, and the target's CPU µs per request. `cpu0` and
 * `cpu1` are whole-core figures from /proc/stat: CPU 0 well above `target` means other processes
 * (or loopback softirq work) ran there too.
 */
function cpuUsage(a, b, result) {
  const wall = (b.wall - a.wall) / 1000;
  const target = b.target - a.target;
  const fake = b.fake - a.fake;
  const client = b.client - a.client;
  return {
    target: round2(target / wall),
    targetUsPerReq: result.ok > 0 ? Math.round((target * 1e6) / result.ok) : null,
    fake: round2(fake / wall),
    client: round2(client / wall),
    fakePlusClient: round2((fake + client) / wall),
    cpu0: coreBusy(a.cpus.cpu0, b.cpus.cpu0),
    cpu1: coreBusy(a.cpus.cpu1, b.cpus.cpu1),
  };
}

function logRow(r) {
  console.log(
    `  ${r.mode.padEnd(6)} c${String(r.connections).padEnd(3)} ${r.target.padEnd(7)} ` +
      `${Math.round(r.reqPerSec).toString().padStart(6)} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms  ` +
      `cpu ${r.cpu.target} (${r.cpu.targetUsPerReq} µs/req)  core0 ${r.cpu.cpu0} core1 ${r.cpu.cpu1}  ` +
      `err ${r.errors + r.timeouts + r.non2xx}${r.rssPeakMb ? `  rss ${r.rssPeakMb} MB` : ''}`,
  );
}

function gatewayEnv(fakeUrl, port, dataDir) {
  return {
    NODE_ENV: 'production',
    PORT: String(port),
    HOST,
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    OPENAI_API_KEY: API_KEY,
    OPENAI_BASE_URL: `${fakeUrl}/v1`,
    CACHE_DEFAULT_MODE: 'off',
    UPSTREAM_POOL_CONNECTIONS: '256',
    // Blank means unset: nothing from the caller's shell may switch on auth, Postgres or Redis.
    ADMIN_API_KEY: '',
    DATABASE_URL: '',
    REDIS_URL: '',
    GATEWAY_CONFIG: '',
  };
}

/** First boot: PGlite runs initdb and the migrations. Returns that process's RSS once ready. */
async function initGatewayData(gatewayMain, fakeUrl) {
  const first = await startGateway(gatewayMain, fakeUrl, 'first boot (creates the database)');
  const rss = statusMb(first.child.pid, 'VmRSS');
  await stopChild(first.child);
  return rss;
}

async function startGateway(gatewayMain, fakeUrl, label = 'measured boot') {
  const port = await freePort(HOST);
  const dataDir = path.join(workDir, 'gateway-data');
  mkdirSync(dataDir, { recursive: true });
  const env = gatewayEnv(fakeUrl, port, dataDir);
  const child = track(
    children,
    spawnPinned({
      name: 'gateway',
      cpu: SERVER_CPU,
      args: [gatewayMain],
      env: { ...process.env, ...env },
      // No .env in the work dir: only `env` configures the gateway.
      cwd: workDir,
    }),
  );
  const url = `http://${HOST}:${port}`;
  const bootStart = performance.now();
  await waitForHttp(child, `${url}/health/ready`, BOOT_TIMEOUT_MS);
  const seconds = ((performance.now() - bootStart) / 1000).toFixed(1);
  console.log(`gateway ${label}: ready in ${seconds} s (pid ${child.pid})`);
  return { child, url, env };
}

async function startFloor(fakeUrl) {
  const child = track(
    children,
    spawnPinned({
      name: 'floor proxy',
      cpu: SERVER_CPU,
      args: [path.join(here, 'floor.mjs'), fakeUrl, API_KEY],
    }),
  );
  const [, port] = await waitForLine(child, /^READY (\d+)$/m, BOOT_TIMEOUT_MS);
  return { child, url: `http://${HOST}:${port}` };
}

/** Fails fast when a target answers wrongly, instead of benchmarking error responses. */
async function verifyTarget(target) {
  const expected = `Echo: ${USER_MESSAGE}`;
  for (const stream of [false, true]) {
    const req = chatRequest({ model: target.model, stream, apiKey: target.apiKey });
    const res = await fetch(target.origin + req.path, {
      method: 'POST',
      headers: req.headers,
      body: req.body,
    });
    const text = await res.text();
    const ok = stream
      ? text.includes('data: [DONE]') && text.includes('"Echo:"')
      : JSON.parse(text).choices?.[0]?.message?.content === expected;
    if (res.status !== 200 || !ok) {
      throw new Error(`${target.name} (stream ${stream}) answered ${res.status}: ${text.slice(0, 300)}`);
    }
  }
}

function buildReport({ loaded, ttfb, saturation, memory }) {
  const targets = evaluateTargets({ loaded, saturation, memory, modes: MODES });
  return {
    date: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    node: process.version,
    git: gitCommit(root),
    machine: machineInfo(loadAvgBefore),
    packages: packageVersions(root, [
      'autocannon',
      'undici',
      'fastify',
      '@nestjs/core',
      '@nestjs/platform-fastify',
    ]),
    config: {
      host: HOST,
      serverCpu: SERVER_CPU,
      clientCpu: CLIENT_CPU,
      upstreamLatencyMs: UPSTREAM_LATENCY_MS,
      userMessage: USER_MESSAGE,
      modes: MODES,
      concurrencies: CONCURRENCIES,
      ttfbConcurrencies: TTFB_CONCURRENCIES,
      saturationConnections: SATURATION_CONNECTIONS,
      warmupSeconds: WARMUP_SECONDS,
      seconds: SECONDS,
      ttfbSeconds: TTFB_SECONDS,
      ttfbWarmupSeconds: TTFB_WARMUP_SECONDS,
      gatewayEnv: { ...gatewayEnv('<fake>', '<free port>', '<temp dir>'), OPENAI_API_KEY: '<bench key>' },
    },
    loaded,
    ttfb,
    saturation,
    memory,
    targets,
  };
}

function writeResults(report) {
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(path.join(resultsDir, 'gateway.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(resultsDir, 'gateway.md'), renderMarkdown(report));
  console.log(`\n${renderLoadedTable(report.loaded, report.ttfb)}\n`);
  console.log(`${renderSaturationTable(report.saturation)}\n`);
  console.log(checkLines(report.targets).join('\n'));
  console.log(`\nsuite took ${report.durationSeconds} s`);
  console.log(`written: ${path.relative(root, resultsDir)}/gateway.{json,md}`);
}

function rerender() {
  const report = JSON.parse(readFileSync(path.join(resultsDir, 'gateway.json'), 'utf8'));
  report.targets = evaluateTargets({ ...report, modes: report.config.modes });
  writeResults(report);
}
