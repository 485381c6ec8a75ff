// Express vs Fastify under NestJS: same app, same load, interleaved rounds.
// Usage: node bench/platform/run.mjs
//
// The server runs pinned to CPU 0 and this load generator re-executes itself
// pinned to CPU 1, so client and server never compete for the same core.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const HOST = '127.0.0.1';
const SERVER_CPU = '0';
const CLIENT_CPU = '1';
const PLATFORMS = ['express', 'fastify'];
const ROUNDS = 2;
const CONNECTIONS = 50;
const PIPELINING = 1;
const WARMUP_SECONDS = 2;
const DURATION_SECONDS = 10;
const READY_TIMEOUT_MS = 15_000;
// 2 rounds x 2 platforms x (2 s warm-up + 2 x 10 s) is ~92 s of load; this
// cap stops a hung run well before the 3-minute budget.
const DEADLINE_MS = 170_000;

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const resultsDir = path.join(root, 'bench/results');
const appPath = path.join(here, 'app.mjs');

if (process.env.BENCH_CLIENT_PINNED !== '1') {
  const child = spawn(
    'taskset',
    ['-c', CLIENT_CPU, process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    { stdio: 'inherit', env: { ...process.env, BENCH_CLIENT_PINNED: '1' } },
  );
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => child.kill(signal));
  }
  const [code, signal] = await once(child, 'exit');
  process.exit(code ?? (signal ? 1 : 0));
}

const echoBody = JSON.stringify(makeEchoPayload(1024));

const routes = [
  { name: 'GET /ping', method: 'GET', path: '/ping' },
  {
    name: 'POST /echo',
    method: 'POST',
    path: '/echo',
    headers: { 'content-type': 'application/json' },
    body: echoBody,
  },
];

let currentServer = null;
const deadline = setTimeout(() => {
  console.error(`benchmark exceeded ${DEADLINE_MS / 1000} s, aborting`);
  currentServer?.kill('SIGKILL');
  process.exit(1);
}, DEADLINE_MS);
deadline.unref();

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    currentServer?.kill('SIGKILL');
    process.exit(130);
  });
}

const startedAt = new Date();
const loadAvgBefore = os.loadavg().map(round2);
const runs = [];

for (let round = 1; round <= ROUNDS; round++) {
  for (const platform of PLATFORMS) {
    console.log(`round ${round}/${ROUNDS}: ${platform}`);
    runs.push({ round, platform, routes: await benchmarkPlatform(platform) });
  }
}

const summary = summarize(runs);
const verdict = compare(summary);
const report = {
  date: startedAt.toISOString(),
  durationSeconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
  node: process.version,
  machine: {
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    loadAvgBefore,
    loadAvgAfter: os.loadavg().map(round2),
  },
  packages: Object.fromEntries(
    [
      '@nestjs/core',
      '@nestjs/platform-express',
      '@nestjs/platform-fastify',
      'express',
      'fastify',
      'autocannon',
    ].map((name) => [name, packageVersion(name)]),
  ),
  config: {
    host: HOST,
    serverCpu: Number(SERVER_CPU),
    clientCpu: Number(CLIENT_CPU),
    rounds: ROUNDS,
    order: runs.map((r) => r.platform),
    connections: CONNECTIONS,
    pipelining: PIPELINING,
    warmupSeconds: WARMUP_SECONDS,
    durationSeconds: DURATION_SECONDS,
    echoBodyBytes: Buffer.byteLength(echoBody),
  },
  runs,
  summary,
  verdict,
};

mkdirSync(resultsDir, { recursive: true });
writeFileSync(path.join(resultsDir, 'platform.json'), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(path.join(resultsDir, 'platform.md'), renderMarkdown(report));
console.log(`\n${renderTable(summary)}\n${verdict.text}`);
console.log(`written: ${path.relative(root, resultsDir)}/platform.{json,md}`);

async function benchmarkPlatform(platform) {
  const port = await freePort();
  const server = await startServer(platform, port);
  currentServer = server;
  try {
    const base = `http://${HOST}:${port}`;
    await checkRoutes(base);

    // One warm-up pass cycling through both routes so each handler is JIT-compiled.
    await autocannon({
      url: base,
      connections: CONNECTIONS,
      pipelining: PIPELINING,
      duration: WARMUP_SECONDS,
      requests: routes.map(({ method, path: p, headers, body }) => ({ method, path: p, headers, body })),
    });

    const results = {};
    for (const route of routes) {
      const serverCpuBefore = processCpuSeconds(server.pid);
      const clientCpuBefore = process.cpuUsage();
      const wallBefore = process.hrtime.bigint();

      const result = await autocannon({
        url: base + route.path,
        method: route.method,
        headers: route.headers,
        body: route.body,
        connections: CONNECTIONS,
        pipelining: PIPELINING,
        duration: DURATION_SECONDS,
      });

      const wall = Number(process.hrtime.bigint() - wallBefore) / 1e9;
      const clientCpu = process.cpuUsage(clientCpuBefore);
      results[route.name] = {
        reqPerSec: result.requests.average,
        latencyP50Ms: result.latency.p50,
        latencyP99Ms: result.latency.p99,
        latencyMeanMs: result.latency.average,
        requests: result.requests.total,
        '2xx': result['2xx'],
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        // Utilisation of the pinned cores (1.0 = one core fully busy); a client
        // near 1.0 would mean the load generator, not the server, is the limit.
        serverCpu: round2((processCpuSeconds(server.pid) - serverCpuBefore) / wall),
        clientCpu: round2((clientCpu.user + clientCpu.system) / 1e6 / wall),
      };
      // CPU 0 is pinned but not reserved: other processes on the host can take
      // time from the server. Throughput per server CPU-second is less
      // sensitive to that than raw req/s.
      results[route.name].reqPerServerCpuSec = Math.round(
        result.requests.average / results[route.name].serverCpu,
      );
      console.log(
        `  ${route.name.padEnd(10)} ${fmt(result.requests.average)} req/s  ` +
          `p50 ${result.latency.p50} ms  p99 ${result.latency.p99} ms  ` +
          `errors ${result.errors}  non2xx ${result.non2xx}  ` +
          `cpu server ${results[route.name].serverCpu} client ${results[route.name].clientCpu}`,
      );
    }
    return results;
  } finally {
    await stopServer(server);
    currentServer = null;
  }
}

function startServer(platform, port) {
  const child = spawn('taskset', ['-c', SERVER_CPU, process.execPath, appPath, platform, String(port)], {
    cwd: root,
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));

  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${platform} server not READY after ${READY_TIMEOUT_MS} ms\n${stderr}`));
    }, READY_TIMEOUT_MS);
    const onData = (chunk) => {
      stdout += chunk;
      if (/^READY$/m.test(stdout)) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        child.stdout.resume();
        child.off('exit', onExit);
        resolve(child);
      }
    };
    const onExit = (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${platform} server exited early (code ${code}, signal ${signal})\n${stderr}`));
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.on('exit', onExit);
  });
}

async function stopServer(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

// Fail fast if a route is broken, instead of benchmarking error responses.
async function checkRoutes(base) {
  const ping = await fetch(`${base}/ping`);
  const pingBody = await ping.json();
  if (ping.status !== 200 || pingBody.ok !== true || typeof pingBody.ts !== 'number') {
    throw new Error(`unexpected GET /ping response: ${ping.status} ${JSON.stringify(pingBody)}`);
  }
  const echo = await fetch(`${base}/echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: echoBody,
  });
  const echoText = await echo.text();
  if (echo.status !== 200 || echoText !== echoBody) {
    throw new Error(`unexpected POST /echo response: ${echo.status} ${echoText.slice(0, 200)}`);
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// utime + stime of a process from /proc, in seconds.
function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

// A gateway-like chat request of roughly `targetBytes` once serialised.
function makeEchoPayload(targetBytes) {
  const payload = {
    model: 'gpt-4o-mini',
    temperature: 0.2,
    max_tokens: 256,
    stream: false,
    metadata: { tenant: 'bench', requestId: '00000000-0000-4000-8000-000000000000' },
    messages: [
      { role: 'system', content: 'You are a concise assistant. Answer in one paragraph.' },
      { role: 'user', content: '' },
    ],
  };
  const filler = 'The quick brown fox jumps over the lazy dog. ';
  const user = payload.messages[1];
  while (Buffer.byteLength(JSON.stringify(payload)) < targetBytes) user.content += filler;
  user.content = user.content.slice(
    0,
    user.content.length - (Buffer.byteLength(JSON.stringify(payload)) - targetBytes),
  );
  return payload;
}

function summarize(allRuns) {
  const out = {};
  for (const platform of PLATFORMS) {
    out[platform] = {};
    const mine = allRuns.filter((r) => r.platform === platform);
    for (const { name } of routes) {
      const samples = mine.map((r) => r.routes[name]);
      const reqs = samples.map((s) => s.reqPerSec);
      out[platform][name] = {
        reqPerSec: round2(mean(reqs)),
        reqPerSecRounds: reqs.map(round2),
        // Mean of the per-round percentiles (autocannon reports whole milliseconds).
        latencyP50Ms: round2(mean(samples.map((s) => s.latencyP50Ms))),
        latencyP99Ms: round2(mean(samples.map((s) => s.latencyP99Ms))),
        errors: sum(samples.map((s) => s.errors)),
        timeouts: sum(samples.map((s) => s.timeouts)),
        non2xx: sum(samples.map((s) => s.non2xx)),
        serverCpu: round2(mean(samples.map((s) => s.serverCpu))),
        reqPerServerCpuSec: Math.round(mean(samples.map((s) => s.reqPerServerCpuSec))),
        clientCpu: round2(mean(samples.map((s) => s.clientCpu))),
      };
    }
  }
  return out;
}

function compare(s) {
  const perRoute = Object.fromEntries(
    routes.map(({ name }) => [name, s.fastify[name].reqPerSec / s.express[name].reqPerSec]),
  );
  const geo = Math.exp(mean(Object.values(perRoute).map(Math.log)));
  const winner = geo >= 1 ? 'fastify' : 'express';
  const loser = winner === 'fastify' ? 'express' : 'fastify';
  const ratio = (r) => (winner === 'fastify' ? r : 1 / r);
  const detail = Object.entries(perRoute)
    .map(([name, r]) => `${ratio(r).toFixed(2)}x on ${name}`)
    .join(', ');
  return {
    winner,
    ratio: Number(ratio(geo).toFixed(2)),
    ratioByRoute: Object.fromEntries(
      Object.entries(perRoute).map(([n, r]) => [n, Number(ratio(r).toFixed(2))]),
    ),
    text:
      `Faster: ${winner}, ${ratio(geo).toFixed(2)}x the req/s of ${loser} ` +
      `(geometric mean over routes; ${detail}).`,
  };
}

function renderTable(s) {
  const lines = [
    '| platform | route | req/s | p50 (ms) | p99 (ms) | server CPU | req per server CPU-s |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const platform of PLATFORMS) {
    for (const { name } of routes) {
      const r = s[platform][name];
      lines.push(
        `| ${platform} | ${name} | ${fmt(r.reqPerSec)} | ${r.latencyP50Ms} | ${r.latencyP99Ms} | ` +
          `${Math.round(r.serverCpu * 100)}% | ${fmt(r.reqPerServerCpuSec)} |`,
      );
    }
  }
  return lines.join('\n');
}

function renderMarkdown(r) {
  const c = r.config;
  const failures = PLATFORMS.flatMap((p) =>
    routes.map(({ name }) => r.summary[p][name]).map((x) => x.errors + x.timeouts + x.non2xx),
  ).reduce((a, b) => a + b, 0);
  return [
    '# HTTP platform benchmark: NestJS on Express vs Fastify',
    '',
    `${r.date} · Node ${r.node} · ${r.machine.cpus} CPUs (${r.machine.cpuModel}) · ` +
      `@nestjs/core ${r.packages['@nestjs/core']}, express ${r.packages.express}, fastify ${r.packages.fastify}`,
    '',
    `Server pinned to CPU ${c.serverCpu}, autocannon ${r.packages.autocannon} pinned to CPU ${c.clientCpu}; ` +
      `${c.connections} connections, pipelining ${c.pipelining}, ${c.warmupSeconds} s warm-up, ` +
      `${c.durationSeconds} s per route; ${c.rounds} interleaved rounds (${c.order.join(', ')}), ` +
      `mean of rounds. POST /echo body: ${c.echoBodyBytes} bytes of JSON.`,
    '',
    renderTable(r.summary),
    '',
    `Errors + timeouts + non-2xx across all runs: ${failures}. ` +
      `Load average before/after: ${r.machine.loadAvgBefore.join(' ')} / ${r.machine.loadAvgAfter.join(' ')}; ` +
      'a server CPU well below 100% means other processes were using CPU 0 during that run.',
    '',
    `**${r.verdict.text}**`,
    '',
    'Rerun: `node bench/platform/run.mjs` (raw per-round numbers in `platform.json`).',
    '',
  ].join('\n');
}

function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

function mean(xs) {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

function sum(xs) {
  return xs.reduce((a, b) => a + b, 0);
}

function round2(x) {
  return Math.round(x * 100) / 100;
}

function fmt(n) {
  return Math.round(n).toLocaleString('en-US');
}
