// Stress: thousands of concurrent streams against the gateway while the upstream misbehaves.
// Usage: npm run build && node bench/run.mjs stress   (or `node bench/stress/run.mjs`)
//
// The OpenAI fake (bench/gateway/fake-server.mjs) waits 20 ms before its headers and 250 ms between
// stream frames (an answer streams for about 4 s, so thousands are open at once), and gives about
// 10 % of chat completions a fault drawn from its menu: HTTP 500, 429 or 529, the socket cut after 3
// frames, OpenAI's mid-stream error frame, a TCP reset before any answer, or headers followed by
// silence (which the gateway's UPSTREAM_IDLE_TIMEOUT_MS, 2 s here, must end). One gateway (a copy of
// dist/, auth off on loopback, cache off, rate limits off, a 1,024-socket upstream pool) takes:
//   warm-up - 200 of each, so the next phases do not meet a cold process
//   sse     - 2,000 streamed POST /v1/chat/completions, one connection each, opened at 1,000/s
//   ws      - 2,000 WebSockets on /ws/chat, each sending one chat.request, opened at 1,000/s
//   mixed   - both: 4,000 streams, opened at 1,000/s
//   burst   - both again, all 4,000 connections opened in the same instant
// Every request must end within REQUEST_DEADLINE_MS in either a full answer (the whole echo, in
// order, then [DONE] or chat.done) or a contract error: an HTTP error status with the OpenAI error
// envelope, an SSE error event in that envelope, or a chat.error frame. Anything else is a violation
// (a hung request, a stream that just stops, a wrong answer, a connection dropped without an error).
// One exception: a connection reset before any response, when the kernel's counters show that many
// connections refused at a listen queue during the phase (SyncookiesFailed + ListenDrops in
// /proc/net/netstat), never reached the gateway; it is reported (and warned about) as refused by
// the kernel, not counted as a gateway violation.
// After each phase the gateway's open-stream and open-WebSocket gauges must fall back to 0 and the
// fake must see no request still open (nothing leaked upstream). Gateway on CPU 0; the fake and
// this load generator on CPU 1.
// Results: bench/results/stress.{json,md}. Exit 1 if a request hung, any other violation occurred,
// or the gateway died or stopped answering /health/ready.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Agent, request as undiciRequest } from 'undici';
import WebSocket from 'ws';
import { summarize } from '../gateway/load.mjs';
import { cpuSeconds, statusMb, stopChild } from '../gateway/procs.mjs';
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
import { gatewayEnv, metricSum, scrapeMetrics, startGateway, treeRssMb } from '../shared/servers.mjs';

const SERVER_CPU = 0;
const CLIENT_CPU = 1;
const SSE_STREAMS = Number(process.env.STRESS_SSE ?? 2000);
const WEBSOCKETS = Number(process.env.STRESS_WS ?? 2000);
const FAULT_RATE = 0.1;
const UPSTREAM_LATENCY_MS = 20;
const CHUNK_DELAY_MS = 250;
const OPEN_BATCH = 50;
const OPEN_BATCH_EVERY_MS = 50;
const IDLE_TIMEOUT_MS = 2000;
const FIRST_BYTE_TIMEOUT_MS = 10_000;
const REQUEST_DEADLINE_MS = 60_000;
const DRAIN_WAIT_MS = 20_000;
const SAMPLE_MS = 250;
const MODEL = 'openai/gpt-4o-mini';
const USER_MESSAGE = 'please send this short answer back to me in several small chunks';
const EXPECTED = `Echo: ${USER_MESSAGE}`;
const GATEWAY_ENV = {
  UPSTREAM_POOL_CONNECTIONS: '1024',
  UPSTREAM_TIMEOUT_MS: String(FIRST_BYTE_TIMEOUT_MS),
  UPSTREAM_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
  RATE_LIMIT_GLOBAL_RPM: '0',
  CACHE_DEFAULT_MODE: 'off',
};
const PHASES = [
  { name: 'warm-up', sse: 200, ws: 200, burst: false },
  { name: 'sse', sse: SSE_STREAMS, ws: 0, burst: false },
  { name: 'ws', sse: 0, ws: WEBSOCKETS, burst: false },
  { name: 'mixed', sse: SSE_STREAMS, ws: WEBSOCKETS, burst: false },
  { name: 'burst', sse: SSE_STREAMS, ws: WEBSOCKETS, burst: true },
];
/** Kernel counters (TcpExt in /proc/net/netstat) of connections refused at a listen queue. */
const KERNEL_COUNTERS = [
  'ListenOverflows',
  'ListenDrops',
  'SyncookiesSent',
  'SyncookiesFailed',
  'TCPReqQFullDrop',
];
const DEADLINE_MS = 480_000;

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const resultsDir = path.join(root, 'bench/results');

await pinSelf({ script: fileURLToPath(import.meta.url), cpu: CLIENT_CPU, envVar: 'BENCH_STRESS_PINNED' });

const children = new Set();
const workDir = mkdtempSync(path.join(os.tmpdir(), 'stress-bench-'));
installAbortHandlers({ children, workDir, name: 'stress', deadlineMs: DEADLINE_MS });
const startedAt = new Date();
const loadAvgBefore = os.loadavg().map(round2);
let exitCode = 0;
try {
  exitCode = await main();
} finally {
  await Promise.all([...children].map(stopChild));
  rmSync(workDir, { recursive: true, force: true });
}
process.exit(exitCode);

async function main() {
  const fdLimit = openFileLimit();
  const needed = SSE_STREAMS + WEBSOCKETS + 200;
  if (fdLimit < needed) throw new Error(`ulimit -n is ${fdLimit}; the mixed phase needs about ${needed}`);
  const appDir = await snapshotDist({ root, workDir, waitMs: 60_000 });
  const fakesDir = compileFakes({ root, workDir });
  const fake = await startFake({
    fakesDir,
    latencyMs: UPSTREAM_LATENCY_MS,
    cpu: CLIENT_CPU,
    children,
    timeoutMs: 60_000,
    args: ['--chunk-delay', String(CHUNK_DELAY_MS), '--fault-rate', String(FAULT_RATE)],
  });
  const gateway = await startGateway({
    gatewayMain: path.join(appDir, 'dist/src/main.js'),
    workDir,
    fakeUrl: fake.url,
    cpu: SERVER_CPU,
    children,
    env: GATEWAY_ENV,
  });
  const pid = gateway.child.pid;
  const bootRss = treeRssMb(pid);

  const phases = [];
  for (const spec of PHASES) {
    if (!alive(gateway.child)) break;
    phases.push(await runPhase(spec, { gateway, fake }));
  }
  const ready = await readyStatus(gateway.url);
  const report = {
    suite: 'stress',
    command: 'node bench/run.mjs stress',
    date: startedAt.toISOString(),
    durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
    node: process.version,
    git: gitCommit(root),
    machine: machineInfo(loadAvgBefore),
    packages: packageVersions(root, ['undici', 'ws', '@nestjs/core', 'fastify']),
    config: {
      sseStreams: SSE_STREAMS,
      websockets: WEBSOCKETS,
      faultRate: FAULT_RATE,
      upstreamLatencyMs: UPSTREAM_LATENCY_MS,
      chunkDelayMs: CHUNK_DELAY_MS,
      requestDeadlineMs: REQUEST_DEADLINE_MS,
      openFileLimit: fdLimit,
      gatewayEnv: gatewayEnv({
        fakeUrl: '<fake>',
        port: '<free port>',
        dataDir: '<temp dir>',
        overrides: GATEWAY_ENV,
      }),
      serverCpu: SERVER_CPU,
      clientCpu: CLIENT_CPU,
    },
    gateway: {
      aliveAtEnd: alive(gateway.child),
      readyAtEnd: ready,
      exit: alive(gateway.child) ? null : { code: gateway.child.exitCode, signal: gateway.child.signalCode },
      bootRssMb: { main: round1(bootRss.main), tree: round1(bootRss.tree) },
      hwmMb: round1(statusMb(pid, 'VmHWM')),
      outputTail: alive(gateway.child) ? undefined : gateway.child.outputTail,
    },
    phases,
  };
  report.verdict = verdict(report);
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(path.join(resultsDir, 'stress.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(path.join(resultsDir, 'stress.md'), renderMarkdown(report));
  console.log(`\n${report.verdict.lines.join('\n')}`);
  console.log(`suite took ${report.durationSeconds} s; written: bench/results/stress.{json,md}`);
  return report.verdict.pass ? 0 : 1;
}

async function runPhase(spec, { gateway, fake }) {
  const opening = spec.burst ? 'all at once' : `opened at ${(OPEN_BATCH * 1000) / OPEN_BATCH_EVERY_MS}/s`;
  console.log(`\n-- phase ${spec.name}: ${spec.sse} SSE streams + ${spec.ws} WebSockets, ${opening}`);
  const pid = gateway.child.pid;
  const statsBefore = await fake.stats();
  const monitor = startMonitor(pid, gateway.url);
  const cpuBefore = cpuSeconds(pid);
  const t0 = performance.now();
  // One connection per SSE stream: an agent with no per-origin cap, closed after the phase.
  const agent = new Agent({
    connections: null,
    pipelining: 1,
    connectTimeout: REQUEST_DEADLINE_MS,
    headersTimeout: REQUEST_DEADLINE_MS,
    bodyTimeout: REQUEST_DEADLINE_MS,
  });
  const kernelBefore = kernelCounters();
  // SSE and WebSocket openings interleaved; in batches at OPEN_BATCH per OPEN_BATCH_EVERY_MS, or all
  // in one tick for the burst.
  const starts = [];
  for (let i = 0; i < Math.max(spec.sse, spec.ws); i++) {
    if (i < spec.sse) starts.push(() => sseRequest(gateway.url, agent, `${spec.name}-sse-${i}`));
    if (i < spec.ws) starts.push(() => wsRequest(gateway.url, `${spec.name}-ws-${i}`));
  }
  const tasks = [];
  for (let i = 0; i < starts.length; i++) {
    if (!spec.burst && i > 0 && i % OPEN_BATCH === 0) await sleep(OPEN_BATCH_EVERY_MS);
    tasks.push(starts[i]());
  }
  const openedSeconds = (performance.now() - t0) / 1000;
  const results = await Promise.all(tasks);
  const kernel = counterDelta(kernelBefore, kernelCounters());
  const refusedByKernel = excuseKernelRefusals(results, kernel);
  const loadSeconds = (performance.now() - t0) / 1000;
  await agent.close().catch(() => {});
  const cpu = cpuSeconds(pid) - cpuBefore;
  const drain = await waitForDrain(gateway, fake);
  const peaks = monitor.stop();
  const statsAfter = await fake.stats();
  const injected = Object.fromEntries(
    Object.entries(statsAfter.injected).map(([k, v]) => [k, v - (statsBefore.injected[k] ?? 0)]),
  );
  const upstreamCalls = statsAfter.chatRequests - statsBefore.chatRequests;
  const phase = {
    name: spec.name,
    requested: { sse: spec.sse, ws: spec.ws },
    opening: spec.burst ? 'all at once' : `${(OPEN_BATCH * 1000) / OPEN_BATCH_EVERY_MS}/s`,
    openedInSeconds: round2(openedSeconds),
    seconds: round2(loadSeconds),
    kernel,
    outcomes: countOutcomes(results),
    violations: results.filter((r) => r.violation).length,
    refusedByKernel,
    hung: results.filter((r) => r.outcome === 'hung').length,
    durationMs: {
      full: summarize(results.filter((r) => r.outcome === 'full').map((r) => r.ms)),
      contractError: summarize(results.filter((r) => r.contract).map((r) => r.ms)),
      all: summarize(results.map((r) => r.ms)),
    },
    upstream: { calls: upstreamCalls, faultsInjected: injected, faultsTotal: sum(Object.values(injected)) },
    gateway: {
      alive: alive(gateway.child),
      cpuCores: round2(cpu / loadSeconds),
      peakRssMb: round1(peaks.rssMb),
      peakTreeRssMb: round1(peaks.treeRssMb),
      peakOpenFds: peaks.fds,
      peakOpenStreams: peaks.openStreams,
      peakOpenWebSockets: peaks.openWebSockets,
      peakUpstreamSockets: peaks.upstreamSockets,
    },
    drain,
    samples: peaks.samples,
    violationExamples: results
      .filter((r) => r.violation)
      .slice(0, 10)
      .map(({ id, kind, outcome, detail, ms }) => ({ id, kind, outcome, detail, ms: round1(ms) })),
  };
  const total = results.length;
  console.log(
    `  ${total} requests in ${phase.seconds} s: ${phase.outcomes.byClass.full ?? 0} full, ` +
      `${phase.outcomes.byClass.contractError ?? 0} contract errors, ${phase.outcomes.byClass.refused ?? 0} refused by the kernel, ${phase.violations} violations ` +
      `(${phase.hung} hung); faults injected ${phase.upstream.faultsTotal} of ${upstreamCalls} upstream calls`,
  );
  console.log(
    `  gateway: peak RSS ${phase.gateway.peakRssMb} MB, ${phase.gateway.peakOpenFds} fds, ` +
      `${phase.gateway.peakOpenStreams} open streams, ${phase.gateway.peakOpenWebSockets} WebSockets; ` +
      `drained: ${JSON.stringify(drain)}; kernel ${JSON.stringify(kernel)}`,
  );
  for (const [k, v] of Object.entries(phase.outcomes.detail))
    console.log(`    ${String(v).padStart(5)}  ${k}`);
  return phase;
}

/** One streamed chat completion over its own connection, classified by how it ended. */
async function sseRequest(origin, agent, id) {
  const t0 = performance.now();
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error('deadline')), REQUEST_DEADLINE_MS);
  const done = (fields) => {
    clearTimeout(timer);
    return { id, kind: 'sse', ms: performance.now() - t0, ...fields };
  };
  let res;
  try {
    res = await undiciRequest(`${origin}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: MODEL,
        stream: true,
        messages: [{ role: 'user', content: USER_MESSAGE }],
      }),
      signal: abort.signal,
    });
  } catch (err) {
    if (abort.signal.aborted) return done(violation('hung', 'no response headers before the deadline'));
    return done(violation('transport error before the response', err.code ?? err.message));
  }
  let text = '';
  try {
    for await (const chunk of res.body) text += chunk.toString('utf8');
  } catch (err) {
    if (abort.signal.aborted) return done(violation('hung', `status ${res.statusCode}, body not ended`));
    return done(classifySse(res, text, err.code ?? err.message));
  }
  return done(classifySse(res, text, null));
}

function classifySse(res, text, bodyError) {
  if (res.statusCode >= 400) {
    const envelope = errorEnvelope(safeJson(text));
    if (!envelope)
      return violation('HTTP error without the error envelope', `${res.statusCode} ${text.slice(0, 120)}`);
    return contract(`HTTP ${res.statusCode} ${envelope.code ?? envelope.type}`);
  }
  if (res.statusCode !== 200) return violation(`HTTP ${res.statusCode}`, text.slice(0, 120));
  let content = '';
  let finished = false;
  for (const event of text.split('\n\n')) {
    const data = event
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => l.slice(6))
      .join('\n');
    if (data === '') continue;
    if (data === '[DONE]') {
      finished = true;
      continue;
    }
    const json = safeJson(data);
    const envelope = errorEnvelope(json);
    if (envelope) return contract(`SSE error event ${envelope.code ?? envelope.type}`);
    content += json?.choices?.[0]?.delta?.content ?? '';
  }
  if (bodyError) return violation('stream broken without an error event', bodyError);
  if (!finished) return violation('stream ended without [DONE] or an error event', `${content.length} chars`);
  if (content !== EXPECTED) return violation('wrong answer', content.slice(0, 120));
  return { outcome: 'full', contract: false, violation: false };
}

/** One WebSocket with one chat.request, classified by its terminal frame. */
function wsRequest(origin, id) {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    let content = '';
    const ws = new WebSocket(`${origin.replace(/^http/, 'ws')}/ws/chat`, { perMessageDeflate: false });
    const finish = (fields) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ id, kind: 'ws', ms: performance.now() - t0, ...fields });
      if (ws.readyState === WebSocket.OPEN) ws.close(1000);
      else ws.terminate();
    };
    const timer = setTimeout(
      () => finish(violation('hung', `readyState ${ws.readyState}`)),
      REQUEST_DEADLINE_MS,
    );
    ws.on('open', () => {
      ws.send(
        JSON.stringify({
          type: 'chat.request',
          id: 'r1',
          body: { model: MODEL, messages: [{ role: 'user', content: USER_MESSAGE }] },
        }),
      );
    });
    ws.on('message', (data) => {
      const frame = safeJson(data.toString('utf8'));
      if (frame?.type === 'chat.delta') content += frame.delta ?? '';
      else if (frame?.type === 'chat.done') {
        finish(
          content === EXPECTED
            ? { outcome: 'full', contract: false, violation: false }
            : violation('wrong answer', content.slice(0, 120)),
        );
      } else if (frame?.type === 'chat.error') {
        const e = frame.error;
        finish(
          e && typeof e.message === 'string' && typeof e.type === 'string'
            ? contract(`chat.error ${e.code ?? e.type}`)
            : violation('chat.error without the error fields', JSON.stringify(frame).slice(0, 120)),
        );
      } else finish(violation('unexpected frame', JSON.stringify(frame).slice(0, 120)));
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => {
        const envelope = errorEnvelope(safeJson(body));
        finish(
          envelope
            ? contract(`upgrade refused ${res.statusCode} ${envelope.code ?? envelope.type}`)
            : violation('upgrade refused without the error envelope', `${res.statusCode}`),
        );
      });
    });
    ws.on('error', (err) => finish(violation('WebSocket error', err.code ?? err.message)));
    ws.on('close', (code) =>
      finish(violation('socket closed before chat.done or chat.error', `close ${code}`)),
    );
  });
}

/** TcpExt counters from /proc/net/netstat (machine-wide). */
function kernelCounters() {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    const names = lines.find((l) => l.startsWith('TcpExt:'))?.split(' ') ?? [];
    const values = lines.filter((l) => l.startsWith('TcpExt:'))[1]?.split(' ') ?? [];
    return Object.fromEntries(KERNEL_COUNTERS.map((k) => [k, Number(values[names.indexOf(k)])]));
  } catch {
    return null;
  }
}

function counterDelta(a, b) {
  if (!a || !b) return null;
  return Object.fromEntries(KERNEL_COUNTERS.map((k) => [k, b[k] - a[k]]));
}

/**
 * Connections reset before any response, up to the number the kernel refused at a listen queue
 * during the phase (failed SYN cookies + listen drops; machine-wide counters), never reached the
 * gateway: they are reported as refused by the kernel instead of as violations. Any beyond that
 * count stay violations. Returns how many were reclassified.
 */
function excuseKernelRefusals(results, kernel) {
  const available = kernel ? kernel.SyncookiesFailed + kernel.ListenDrops : 0;
  let left = available;
  for (const r of results) {
    if (left <= 0) break;
    const beforeResponse =
      (r.kind === 'sse' && r.outcome === 'transport error before the response') ||
      (r.kind === 'ws' && r.outcome === 'WebSocket error');
    if (!beforeResponse || !/ECONNRESET|ECONNREFUSED/.test(r.detail)) continue;
    Object.assign(r, {
      outcome: 'refused by the kernel (listen queue overflow)',
      violation: false,
      refused: true,
    });
    left--;
  }
  return available - left;
}

function contract(what) {
  return { outcome: what, contract: true, violation: false };
}

function violation(what, detail) {
  return { outcome: what, detail, contract: false, violation: true };
}

function errorEnvelope(json) {
  const e = json?.error;
  return e && typeof e === 'object' && typeof e.message === 'string' && typeof e.type === 'string' ? e : null;
}

function safeJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function countOutcomes(results) {
  const detail = {};
  const byClass = {};
  for (const r of results) {
    const cls =
      r.outcome === 'full' ? 'full' : r.contract ? 'contractError' : r.refused ? 'refused' : 'violation';
    byClass[cls] = (byClass[cls] ?? 0) + 1;
    const key = `${r.kind} · ${cls === 'violation' ? 'VIOLATION ' : ''}${r.outcome}`;
    detail[key] = (detail[key] ?? 0) + 1;
  }
  const sorted = Object.fromEntries(Object.entries(detail).sort((a, b) => b[1] - a[1]));
  return { byClass, detail: sorted };
}

/**
 * Samples the gateway while a phase runs: RSS (process and tree), open file descriptors, and from
 * /metrics the open streams, open WebSockets and upstream pool sockets. `stop()` returns the peaks
 * and the samples.
 */
function startMonitor(pid, url) {
  const peaks = { rssMb: 0, treeRssMb: 0, fds: 0, openStreams: 0, openWebSockets: 0, upstreamSockets: 0 };
  const samples = [];
  const t0 = performance.now();
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const rss = treeRssMb(pid);
      const fds = openFds(pid);
      let metrics = null;
      try {
        metrics = await scrapeMetrics(url);
      } catch {
        // the gateway may be too busy to answer within the timeout; RSS and fds still count
      }
      const s = {
        t: round2((performance.now() - t0) / 1000),
        rssMb: round1(rss.main),
        fds,
        openStreams: metrics ? metricSum(metrics, 'gateway_open_streams') : null,
        openWebSockets: metrics ? metricSum(metrics, 'gateway_open_websockets') : null,
        upstreamSockets: metrics
          ? metricSum(metrics, 'gateway_upstream_pool_sockets', { state: 'connected' })
          : null,
      };
      samples.push(s);
      peaks.rssMb = Math.max(peaks.rssMb, rss.main || 0);
      peaks.treeRssMb = Math.max(peaks.treeRssMb, rss.tree || 0);
      peaks.fds = Math.max(peaks.fds, fds ?? 0);
      for (const k of ['openStreams', 'openWebSockets', 'upstreamSockets'])
        peaks[k] = Math.max(peaks[k], s[k] ?? 0);
    } finally {
      busy = false;
    }
  }, SAMPLE_MS);
  return {
    stop() {
      clearInterval(timer);
      return { ...peaks, samples };
    },
  };
}

/** After a phase: open streams and WebSockets back to 0 in the gateway, no request open at the fake. */
async function waitForDrain(gateway, fake) {
  const t0 = performance.now();
  let last = null;
  while (performance.now() - t0 < DRAIN_WAIT_MS) {
    try {
      const m = await scrapeMetrics(gateway.url);
      const stats = await fake.stats();
      last = {
        openStreams: metricSum(m, 'gateway_open_streams'),
        openWebSockets: metricSum(m, 'gateway_open_websockets'),
        upstreamRequestsOpen: stats.activeRequests,
      };
      if (last.openStreams === 0 && last.openWebSockets === 0 && last.upstreamRequestsOpen === 0) {
        return { drained: true, afterMs: Math.round(performance.now() - t0), ...last };
      }
    } catch (err) {
      last = { error: err.message };
    }
    await sleep(250);
  }
  return { drained: false, afterMs: Math.round(performance.now() - t0), ...last };
}

async function readyStatus(url) {
  try {
    const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    return res.status;
  } catch (err) {
    return `no answer (${err.message})`;
  }
}

function alive(child) {
  return child.exitCode === null && child.signalCode === null;
}

function openFds(pid) {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

function openFileLimit() {
  try {
    return Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
  } catch {
    return Number.NaN;
  }
}

function sum(values) {
  return values.reduce((a, b) => a + b, 0);
}

function verdict(report) {
  const lines = [];
  const g = report.gateway;
  const hung = sum(report.phases.map((p) => p.hung));
  const violations = sum(report.phases.map((p) => p.violations));
  const undrained = report.phases.filter((p) => !p.drain.drained).map((p) => p.name);
  const missing = PHASES.length - report.phases.length;
  const checks = [
    {
      ok: g.aliveAtEnd,
      text: `gateway process alive at the end: ${g.aliveAtEnd ? 'yes' : `no (${JSON.stringify(g.exit)})`}`,
    },
    { ok: g.readyAtEnd === 200, text: `GET /health/ready at the end: ${g.readyAtEnd}` },
    { ok: missing === 0, text: `phases run: ${report.phases.length} of ${PHASES.length}` },
    { ok: hung === 0, text: `hung requests (no end within ${REQUEST_DEADLINE_MS / 1000} s): ${hung}` },
    { ok: violations === 0, text: `requests that ended outside the contract: ${violations}` },
    {
      ok: undrained.length === 0,
      text: `open streams, WebSockets and upstream requests back to 0 after each phase: ${undrained.length === 0 ? 'yes' : `no (${undrained.join(', ')})`}`,
    },
  ];
  for (const c of checks) lines.push(`${c.ok ? 'PASS' : 'FAIL'} ${c.text}`);
  const refused = sum(report.phases.map((p) => p.refusedByKernel));
  if (refused > 0) {
    const where = report.phases
      .filter((p) => p.refusedByKernel > 0)
      .map((p) => `${p.name} ${p.refusedByKernel}`)
      .join(', ');
    lines.push(
      `WARN connections refused by the kernel's listen queue before the gateway accepted them: ${refused} (${where}; see the notes)`,
    );
  }
  return { pass: checks.every((c) => c.ok), checks, refusedByKernel: refused, lines };
}

function renderMarkdown(r) {
  const c = r.config;
  const m = r.machine;
  const lines = [
    '# Stress: 2,000 SSE streams and 2,000 WebSockets with upstream faults',
    '',
    `Command: \`${r.command}\` · commit ${r.git} · ${r.date} · ${r.durationSeconds} s · Node ${r.node}`,
    `Machine: ${m.cpuModel}, ${m.cpus} CPUs; load average before ${m.loadAvgBefore.join(' ')}, after ${m.loadAvgAfter.join(' ')}; ulimit -n ${c.openFileLimit}`,
    '',
    `The OpenAI fake waits ${c.upstreamLatencyMs} ms before its headers and ${c.chunkDelayMs} ms between stream frames, and ` +
      `gives ${c.faultRate * 100} % of chat completions a random fault (HTTP 500 / 429 / 529, socket cut after 3 frames, ` +
      `mid-stream error frame, TCP reset, headers then silence). The gateway (CPU ${c.serverCpu}) runs with ` +
      `${Object.entries(r.config.gatewayEnv)
        .filter(([k]) => k.startsWith('UPSTREAM') || k.startsWith('RATE') || k.startsWith('CACHE'))
        .map(([k, v]) => `${k}=${v}`)
        .join(
          ', ',
        )}; auth off on loopback. The requests of a phase are opened at ${(OPEN_BATCH * 1000) / OPEN_BATCH_EVERY_MS}/s (the burst phase: all in one instant) by one load generator ` +
      `(CPU ${c.clientCpu}, with the fake). Each must end within ${c.requestDeadlineMs / 1000} s in a full answer or a ` +
      'contract error (HTTP error status + OpenAI error envelope, SSE error event, `chat.error`).',
    '',
    '## Verdict',
    '',
    ...r.verdict.lines.map((l) => `- ${l}`),
    '',
    '## Phases',
    '',
    '| phase | SSE | WS | opened | full | contract errors | refused by the kernel | violations | hung | faults injected / upstream calls | end p50 / p99 / max ms | gateway peak RSS MB | peak fds | peak open streams | peak WS | drained after ms |',
    '|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const p of r.phases) {
    const d = p.durationMs.all;
    lines.push(
      `| ${p.name} | ${p.requested.sse} | ${p.requested.ws} | ${p.opening} (in ${p.openedInSeconds} s) | ${p.outcomes.byClass.full ?? 0} | ` +
        `${p.outcomes.byClass.contractError ?? 0} | ${p.outcomes.byClass.refused ?? 0} | ${p.violations} | ${p.hung} | ` +
        `${p.upstream.faultsTotal} / ${p.upstream.calls} | ` +
        `${Math.round(d.p50)} / ${Math.round(d.p99)} / ${Math.round(d.max)} | ${p.gateway.peakRssMb} | ${p.gateway.peakOpenFds} | ` +
        `${p.gateway.peakOpenStreams} | ${p.gateway.peakOpenWebSockets} | ${p.drain.drained ? p.drain.afterMs : `not drained: ${JSON.stringify(p.drain)}`} |`,
    );
  }
  for (const p of r.phases) {
    lines.push('', `### ${p.name}: outcomes`, '', '| outcome | count |', '|---|---:|');
    for (const [k, v] of Object.entries(p.outcomes.detail)) lines.push(`| ${k} | ${v} |`);
    lines.push(
      '',
      `Faults injected by the fake: ${Object.entries(p.upstream.faultsInjected)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}. Kernel counters over the phase (machine-wide): ${Object.entries(p.kernel ?? {})
        .map(([k, v]) => `${k} +${v}`)
        .join(', ')}.`,
    );
    if (p.violationExamples.length > 0) {
      lines.push('', 'Violations (first 10):', '');
      for (const v of p.violationExamples)
        lines.push(`- ${v.id} (${v.kind}) after ${v.ms} ms: ${v.outcome} — ${v.detail}`);
    }
  }
  lines.push(
    '',
    '## Notes',
    '',
    '- Each request makes exactly one upstream call (a model named directly gets one attempt, no retries), so ' +
      'contract errors ≈ faults injected; a connection refused by the kernel makes none.',
    '- A fault before the first content becomes an HTTP error (or `chat.error`); after it, an SSE error event (or ' +
      '`chat.error`) — never a silently truncated answer. "headers then silence" ends with `upstream_timeout` after ' +
      `UPSTREAM_IDLE_TIMEOUT_MS (${r.config.gatewayEnv.UPSTREAM_IDLE_TIMEOUT_MS} ms).`,
    '- "Refused by the kernel": the gateway listens with Node\'s default backlog (511) while its one event loop is ' +
      'busy, so a fast burst of connects overflows the listen queue; the kernel answers with SYN cookies, a cookie whose ' +
      'ACK arrives while the queue is still full fails, and the client sees ECONNRESET before any response. Such resets ' +
      'are matched one for one against SyncookiesFailed + ListenDrops over the phase and reported apart: those ' +
      'connections never reached the gateway. A larger listen backlog (or a proxy in front) is what would take them.',
    '- Open streams peak at the upstream pool size: each streamed answer holds one upstream socket and ' +
      'UPSTREAM_POOL_CONNECTIONS is at most 1,024, so further requests wait in the pool queue (in flight for the ' +
      'client, not yet streaming upstream).',
    '- One run on a shared 2-core machine; durations depend on what else ran.',
    '',
  );
  return lines.join('\n');
}
