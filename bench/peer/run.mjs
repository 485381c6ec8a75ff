// Peer comparison: the same load, in the same run, against four targets in front of the same fake.
// Usage: npm run build && node bench/run.mjs peer   (or `node bench/peer/run.mjs`)
//
//   direct  - the OpenAI fake (test/support/fakes via bench/gateway/fake-server.mjs), 20 ms before
//             its headers, then the answer; streamed, one SSE delta per word (16 frames in all)
//   floor   - bench/gateway/floor.mjs: node:http + undici Pool, JSON re-serialised, stream piped
//   gateway - this gateway, from a copy of dist/ (auth off on loopback, CACHE_DEFAULT_MODE=off,
//             embedded PostgreSQL), booted twice: the first boot creates its database
//   portkey - @portkey-ai/gateway (devDependency) headless, routed per request with
//             `x-portkey-provider: openai` + `x-portkey-custom-host: <fake>/v1`, preloaded with
//             bench/peer/portkey-shim.mjs (loopback only; its streaming fails without it)
// Non-streamed and streamed chat completions at 10, 50, 200 and 1000 connections (autocannon;
// latencies from its response events), time to first byte of streams with an undici loop at the
// same concurrencies, then saturation: the fake answers at once (0 ms) and 100 connections hammer
// each target. Two rounds; the target order rotates from cell to cell and round to round. Per cell:
// req/s (mean of rounds), p50/p90/p99 of both rounds' latencies pooled, failures (non-2xx, errors,
// timeouts: counted and shown), CPU and peak RSS of the target's process tree (the gateway's
// embedded PostgreSQL child included). Targets on CPU 0, fake and load generator on CPU 1.
// Results: bench/results/peer.{json,md} and bench/results/peer-latency.svg. Nothing here fails the
// process on a slow figure; a target that answers wrongly before the load does.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chatRequest, firstByteLoop, hammer, summarize } from '../gateway/load.mjs';
import { cpuTicks, stopChild } from '../gateway/procs.mjs';
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
} from '../shared/run-support.mjs';
import {
  BENCH_API_KEY,
  gatewayEnv,
  portkeyHeaders,
  startFloor,
  startGateway,
  startPortkey,
  treeCpuSeconds,
  treeRssMb,
} from '../shared/servers.mjs';
import { latencyChartSvg } from './chart.mjs';
import { renderMarkdown } from './report.mjs';

const SERVER_CPU = 0;
const CLIENT_CPU = 1;
const UPSTREAM_LATENCY_MS = 20;
const MODES = ['json', 'stream'];
// `--quick`: a smoke run of the whole pipeline (1 round, 1 s cells, two concurrencies).
const QUICK = process.argv.includes('--quick');
const CONCURRENCIES = QUICK ? [50, 1000] : [10, 50, 200, 1000];
const SATURATION_CONNECTIONS = 100;
const ROUNDS = QUICK ? 1 : 2;
const SECONDS = QUICK ? 1 : 3;
/**
 * Warm-up on the same connections before the measured window (hammer's warmupSeconds), and the
 * TTFB loop's windows. At 1000 connections the first answers take seconds to come back (the
 * target's one core queues them), so its warm-up is longer.
 */
function timing(connections) {
  return connections >= 1000
    ? { warmup: 2, seconds: SECONDS, ttfbWarmup: 1.5, ttfbSeconds: QUICK ? 1 : 2 }
    : { warmup: 1, seconds: SECONDS, ttfbWarmup: 0.5, ttfbSeconds: QUICK ? 1 : 1.5 };
}
const RSS_SAMPLE_MS = 100;
// "Echo:" + these 12 words: 13 deltas, so a stream is role + 13 deltas + finish + [DONE] (16 frames).
const USER_MESSAGE = 'please send this short answer back to me in several small chunks';
// Per round: 8 load cells x 4 targets x 4-5 s + 4 TTFB cells x 4 x 2-3.5 s + 2 x 4 x 4 s = 206 s.
const DEADLINE_MS = 600_000;
const TARGET_NAMES = ['direct', 'floor', 'gateway', 'portkey'];

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const resultsDir = path.join(root, 'bench/results');

await pinSelf({ script: fileURLToPath(import.meta.url), cpu: CLIENT_CPU, envVar: 'BENCH_PEER_PINNED' });

const children = new Set();
const workDir = mkdtempSync(path.join(os.tmpdir(), 'peer-bench-'));
installAbortHandlers({ children, workDir, name: 'peer', deadlineMs: DEADLINE_MS });
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
  const gatewayMain = path.join(appDir, 'dist/src/main.js');
  const fakesDir = compileFakes({ root, workDir });
  const fake = await startFake({
    fakesDir,
    latencyMs: UPSTREAM_LATENCY_MS,
    cpu: CLIENT_CPU,
    children,
    timeoutMs: 60_000,
  });
  const common = { gatewayMain, workDir, fakeUrl: fake.url, cpu: SERVER_CPU, children };
  const first = await startGateway({ ...common, label: 'gateway first boot (creates its database)' });
  await stopChild(first.child);
  const gateway = await startGateway({ ...common, label: 'gateway measured boot' });
  const floor = await startFloor({ fakeUrl: fake.url, cpu: SERVER_CPU, children });
  const portkey = await startPortkey({ root, cpu: SERVER_CPU, children });

  const targets = {
    direct: {
      name: 'direct',
      origin: fake.url,
      model: 'gpt-4o-mini',
      apiKey: BENCH_API_KEY,
      pid: fake.child.pid,
    },
    floor: { name: 'floor', origin: floor.url, model: 'openai/gpt-4o-mini', pid: floor.child.pid },
    gateway: { name: 'gateway', origin: gateway.url, model: 'openai/gpt-4o-mini', pid: gateway.child.pid },
    portkey: {
      name: 'portkey',
      origin: portkey.url,
      model: 'gpt-4o-mini',
      apiKey: BENCH_API_KEY,
      headers: portkeyHeaders(fake.url),
      pid: portkey.child.pid,
    },
  };
  for (const t of Object.values(targets)) await verifyTarget(t);
  const bootRss = Object.fromEntries(TARGET_NAMES.map((n) => [n, rssOf(targets[n].pid)]));
  const sampler = treeRssSampler(targets);

  const rows = [];
  const ttfbRows = [];
  let cell = 0;
  for (let round = 0; round < ROUNDS; round++) {
    console.log(`\n-- round ${round + 1}/${ROUNDS}: upstream ${UPSTREAM_LATENCY_MS} ms`);
    await fake.setLatency(UPSTREAM_LATENCY_MS);
    for (const mode of MODES) {
      for (const connections of CONCURRENCIES) {
        const order = rotate(TARGET_NAMES, cell++).map((n) => targets[n]);
        for (const t of order)
          rows.push(await measure(t, { mode, connections, round, phase: 'loaded' }, sampler));
        if (mode !== 'stream') continue;
        for (const t of order) ttfbRows.push(await measureFirstByte(t, { mode, connections, round }));
      }
    }
    console.log(
      `-- round ${round + 1}/${ROUNDS}: saturation (upstream 0 ms, ${SATURATION_CONNECTIONS} connections)`,
    );
    await fake.setLatency(0);
    for (const mode of MODES) {
      const order = rotate(TARGET_NAMES, cell++).map((n) => targets[n]);
      for (const t of order) {
        rows.push(
          await measure(
            t,
            { mode, connections: SATURATION_CONNECTIONS, round, phase: 'saturation' },
            sampler,
          ),
        );
      }
    }
  }
  sampler.stop();
  const endRss = Object.fromEntries(TARGET_NAMES.map((n) => [n, rssOf(targets[n].pid)]));

  const report = buildReport({
    rows,
    ttfbRows,
    bootRss,
    endRss,
    peaks: sampler.overall(),
    mainPeaks: sampler.overallMain(),
  });
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(path.join(resultsDir, 'peer.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(resultsDir, 'peer.md'), renderMarkdown(report));
  writeFileSync(path.join(resultsDir, 'peer-latency.svg'), latencyChartSvg(report));
  console.log(`\n${report.headline.lines.join('\n')}`);
  console.log(`\nsuite took ${report.durationSeconds} s`);
  console.log('written: bench/results/peer.{json,md}, bench/results/peer-latency.svg');
}

function rotate(list, by) {
  const k = by % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

function requestFor(target, mode) {
  return chatRequest({
    model: target.model,
    stream: mode === 'stream',
    apiKey: target.apiKey,
    content: USER_MESSAGE,
    headers: target.headers,
  });
}

/**
 * One autocannon run: warm-up, then the measured window on the same connections, with the target
 * tree's CPU and peak RSS taken over that window (snapshots when the warm-up ends).
 */
async function measure(target, { mode, connections, round, phase }, sampler) {
  const { warmup, seconds } = timing(connections);
  let before;
  const mark = setTimeout(() => {
    before = snapshot(target.pid);
    sampler.phase();
  }, warmup * 1000);
  const result = await hammer({
    origin: target.origin,
    request: requestFor(target, mode),
    connections,
    seconds,
    warmupSeconds: warmup,
  });
  clearTimeout(mark);
  const after = snapshot(target.pid);
  before ??= after;
  const peak = sampler.phase()[target.name] ?? null;
  const wall = (after.wall - before.wall) / 1000;
  const cpu = after.cpu - before.cpu;
  const cores = wall > 0 ? cpu / wall : null;
  const row = {
    phase,
    round,
    mode,
    connections,
    target: target.name,
    seconds: result.seconds,
    ok: result.ok,
    reqPerSec: round1(result.reqPerSec),
    latency: result.latency,
    latencies: result.latencies,
    statuses: result.statuses,
    failures: { non2xx: result.non2xx, errors: result.errors, timeouts: result.timeouts },
    cpuSeconds: cpu,
    wallSeconds: wall,
    cpu0: coreBusy(before.cpus.cpu0, after.cpus.cpu0),
    cpu1: coreBusy(before.cpus.cpu1, after.cpus.cpu1),
    rssPeakMb: peak === null ? null : round1(peak),
  };
  const failed = result.non2xx + result.errors + result.timeouts;
  console.log(
    `  ${phase === 'saturation' ? 'sat ' : ''}${mode.padEnd(6)} c${String(connections).padEnd(4)} ${target.name.padEnd(7)} ` +
      `${Math.round(result.reqPerSec).toString().padStart(6)} req/s  p50 ${result.latency.p50} p99 ${result.latency.p99} ms  ` +
      `cpu ${round2(cores)}  rss ${round1(peak)} MB  failed ${failed}`,
  );
  return row;
}

async function measureFirstByte(target, { mode, connections, round }) {
  const result = await firstByteLoop({
    origin: target.origin,
    request: requestFor(target, mode),
    connections,
    seconds: timing(connections).ttfbSeconds,
    warmupSeconds: timing(connections).ttfbWarmup,
    keepRaw: true,
  });
  console.log(
    `  ttfb   c${String(connections).padEnd(4)} ${target.name.padEnd(7)} first byte p50 ${result.firstByte.p50} ` +
      `p99 ${result.firstByte.p99} ms (n=${result.requests}, failed ${result.failures})`,
  );
  return { mode, connections, round, target: target.name, ...result };
}

function snapshot(pid) {
  return { wall: performance.now(), cpus: cpuTicks(), cpu: treeCpuSeconds(pid) };
}

function rssOf(pid) {
  const { main, tree } = treeRssMb(pid);
  return { mainMb: round1(main), treeMb: round1(tree) };
}

/**
 * Peak VmRSS of each target's process tree, per phase (`phase()` returns and resets) and overall;
 * `overallMain()`: the overall peaks of the target processes alone.
 */
function treeRssSampler(targets) {
  let phase = {};
  const overall = {};
  const overallMain = {};
  const sample = () => {
    for (const t of Object.values(targets)) {
      const { main, tree } = treeRssMb(t.pid);
      if (!Number.isFinite(tree)) continue;
      phase[t.name] = Math.max(phase[t.name] ?? 0, tree);
      overall[t.name] = Math.max(overall[t.name] ?? 0, tree);
      overallMain[t.name] = Math.max(overallMain[t.name] ?? 0, main);
    }
  };
  const timer = setInterval(sample, RSS_SAMPLE_MS);
  return {
    phase() {
      sample();
      const out = phase;
      phase = {};
      return out;
    },
    overall: () => Object.fromEntries(Object.entries(overall).map(([k, v]) => [k, round1(v)])),
    overallMain: () => Object.fromEntries(Object.entries(overallMain).map(([k, v]) => [k, round1(v)])),
    stop: () => clearInterval(timer),
  };
}

/** Fails fast when a target answers wrongly, instead of benchmarking error responses. */
async function verifyTarget(target) {
  const expected = `Echo: ${USER_MESSAGE}`;
  for (const mode of MODES) {
    const req = requestFor(target, mode);
    const res = await fetch(target.origin + req.path, {
      method: 'POST',
      headers: req.headers,
      body: req.body,
    });
    const text = await res.text();
    let ok;
    if (mode === 'stream') {
      const deltas = [...text.matchAll(/^data: (\{.*\})$/gm)]
        .map((m) => JSON.parse(m[1]).choices?.[0]?.delta?.content ?? '')
        .filter((c) => c !== '');
      ok = text.includes('data: [DONE]') && deltas.join('') === expected && deltas.length > 5;
    } else {
      ok = JSON.parse(text).choices?.[0]?.message?.content === expected;
    }
    if (res.status !== 200 || !ok) {
      throw new Error(`${target.name} (${mode}) answered ${res.status}: ${text.slice(0, 400)}`);
    }
  }
  console.log(`${target.name}: answers JSON and streams correctly`);
}

/** Rounds folded into one row per (phase, mode, connections, target). */
function aggregate(rows) {
  const groups = new Map();
  for (const r of rows) {
    const key = `${r.phase}|${r.mode}|${r.connections}|${r.target}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  return [...groups.values()].map((rs) => {
    const [r0] = rs;
    const ok = rs.reduce((a, r) => a + r.ok, 0);
    const reqPerSec = rs.reduce((a, r) => a + r.reqPerSec, 0) / rs.length;
    const cpu = rs.reduce((a, r) => a + r.cpuSeconds, 0);
    const wall = rs.reduce((a, r) => a + r.wallSeconds, 0);
    const failures = { non2xx: 0, errors: 0, timeouts: 0 };
    for (const r of rs) for (const k of Object.keys(failures)) failures[k] += r.failures[k];
    return {
      phase: r0.phase,
      mode: r0.mode,
      connections: r0.connections,
      target: r0.target,
      rounds: rs.length,
      reqPerSec: round1(reqPerSec),
      reqPerSecByRound: rs.map((r) => r.reqPerSec),
      latency: summarize(rs.flatMap((r) => r.latencies)),
      ok,
      failures,
      failed: failures.non2xx + failures.errors + failures.timeouts,
      statuses: mergeCounts(rs.map((r) => r.statuses)),
      cpuCores: wall > 0 ? round2(cpu / wall) : null,
      // CPU and req/s over the same measured windows.
      cpuUsPerReq: reqPerSec > 0 && wall > 0 ? Math.round(((cpu / wall) * 1e6) / reqPerSec) : null,
      cpu0Busy: round2(rs.reduce((a, r) => a + (r.cpu0 ?? 0), 0) / rs.length),
      cpu1Busy: round2(rs.reduce((a, r) => a + (r.cpu1 ?? 0), 0) / rs.length),
      rssPeakMb: Math.max(...rs.map((r) => r.rssPeakMb ?? 0)),
    };
  });
}

function aggregateTtfb(rows) {
  const groups = new Map();
  for (const r of rows) {
    const key = `${r.mode}|${r.connections}|${r.target}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(r);
  }
  return [...groups.values()].map((rs) => ({
    mode: rs[0].mode,
    connections: rs[0].connections,
    target: rs[0].target,
    requests: rs.reduce((a, r) => a + r.requests, 0),
    failures: rs.reduce((a, r) => a + r.failures, 0),
    firstByte: summarize(rs.flatMap((r) => r.raw.firstByte)),
    total: summarize(rs.flatMap((r) => r.raw.total)),
  }));
}

function mergeCounts(list) {
  const out = {};
  for (const counts of list) for (const [k, v] of Object.entries(counts)) out[k] = (out[k] ?? 0) + v;
  return out;
}

function buildReport({ rows, ttfbRows, bootRss, endRss, peaks, mainPeaks }) {
  const cells = aggregate(rows);
  const ttfb = aggregateTtfb(ttfbRows);
  const report = {
    suite: 'peer',
    command: 'node bench/run.mjs peer',
    date: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    node: process.version,
    git: gitCommit(root),
    machine: machineInfo(loadAvgBefore),
    packages: packageVersions(root, [
      'autocannon',
      'undici',
      '@nestjs/core',
      'fastify',
      '@portkey-ai/gateway',
      '@hono/node-server',
      'hono',
    ]),
    config: {
      serverCpu: SERVER_CPU,
      clientCpu: CLIENT_CPU,
      upstreamLatencyMs: UPSTREAM_LATENCY_MS,
      userMessage: USER_MESSAGE,
      modes: MODES,
      concurrencies: CONCURRENCIES,
      saturationConnections: SATURATION_CONNECTIONS,
      rounds: ROUNDS,
      timing: { c10to200: timing(10), c1000: timing(1000) },
      targets: TARGET_NAMES,
      gatewayEnv: gatewayEnv({ fakeUrl: '<fake>', port: '<free port>', dataDir: '<temp dir>' }),
      portkey: {
        command:
          'node --import bench/peer/portkey-shim.mjs node_modules/@portkey-ai/gateway/build/start-server.js --port=<free port> --headless',
        headers: { ...portkeyHeaders('<fake>'), authorization: 'Bearer <bench key>' },
      },
    },
    memory: { bootRss, endRss, peakTreeRssMb: peaks, peakMainRssMb: mainPeaks },
    cells,
    ttfb,
    rounds: rows.map(({ latencies: _l, ...rest }) => rest),
  };
  report.headline = headline(report);
  return report;
}

function ratio(a, b) {
  return a && b ? Math.round((a / b) * 100) / 100 : null;
}

function diff(a, b) {
  return a !== null && b !== null ? Math.round((a - b) * 100) / 100 : null;
}

/** The two comparisons the report leads with: gateway vs Portkey and gateway vs the floor. */
function headline(report) {
  const cell = (phase, mode, c, target) =>
    report.cells.find(
      (x) => x.phase === phase && x.mode === mode && x.connections === c && x.target === target,
    );
  const ttfb = (mode, c, target) =>
    report.ttfb.find((x) => x.mode === mode && x.connections === c && x.target === target);
  const out = { byMode: {}, lines: [] };
  for (const mode of MODES) {
    const sat = Object.fromEntries(
      TARGET_NAMES.map((t) => [t, cell('saturation', mode, SATURATION_CONNECTIONS, t)?.reqPerSec ?? null]),
    );
    const c1000 = Object.fromEntries(
      TARGET_NAMES.map((t) => [t, cell('loaded', mode, 1000, t)?.reqPerSec ?? null]),
    );
    const added = (target, q) =>
      diff(
        cell('loaded', mode, 50, target)?.latency[q] ?? null,
        cell('loaded', mode, 50, 'direct')?.latency[q] ?? null,
      );
    const addedAt = Object.fromEntries(
      ['floor', 'gateway', 'portkey'].map((t) => [t, { p50: added(t, 'p50'), p99: added(t, 'p99') }]),
    );
    const ttfbC50 = Object.fromEntries(
      TARGET_NAMES.map((t) => [t, mode === 'stream' ? (ttfb(mode, 50, t)?.firstByte.p50 ?? null) : null]),
    );
    const h = {
      saturationReqPerSec: sat,
      c1000ReqPerSec: c1000,
      addedAtC50Ms: addedAt,
      ttfbP50AtC50Ms: ttfbC50,
      gatewayVsPortkey: {
        saturationThroughput: ratio(sat.gateway, sat.portkey),
        c1000Throughput: ratio(c1000.gateway, c1000.portkey),
        addedP50AtC50Ms: { gateway: addedAt.gateway.p50, portkey: addedAt.portkey.p50 },
      },
      gatewayVsFloor: {
        saturationThroughput: ratio(sat.gateway, sat.floor),
        c1000Throughput: ratio(c1000.gateway, c1000.floor),
        addedP50AtC50Ms: { gateway: addedAt.gateway.p50, floor: addedAt.floor.p50 },
      },
    };
    out.byMode[mode] = h;
    const x = (v) => (v === null ? 'n/a' : `${v}×`);
    const ms = (v) => (v === null ? 'n/a' : `${v} ms`);
    const rps = (v) => (v === null ? 'n/a' : Math.round(v));
    out.lines.push(
      `${mode}: gateway ÷ Portkey throughput ${x(h.gatewayVsPortkey.saturationThroughput)} at saturation ` +
        `(${rps(sat.gateway)} vs ${rps(sat.portkey)} req/s), ${x(h.gatewayVsPortkey.c1000Throughput)} at c1000; ` +
        `added p50 at c50: gateway ${ms(addedAt.gateway.p50)}, Portkey ${ms(addedAt.portkey.p50)}`,
      `${mode}: gateway ÷ floor throughput ${x(h.gatewayVsFloor.saturationThroughput)} at saturation ` +
        `(${rps(sat.gateway)} vs ${rps(sat.floor)} req/s), ${x(h.gatewayVsFloor.c1000Throughput)} at c1000; ` +
        `added p50 at c50: gateway ${ms(addedAt.gateway.p50)}, floor ${ms(addedAt.floor.p50)}`,
    );
  }
  out.failuresTotal = Object.fromEntries(
    TARGET_NAMES.map((t) => [
      t,
      report.cells.filter((c) => c.target === t).reduce((a, c) => a + c.failed, 0) +
        report.ttfb.filter((c) => c.target === t).reduce((a, c) => a + c.failures, 0),
    ]),
  );
  return out;
}
