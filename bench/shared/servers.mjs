// Servers that the peer, stress, soak and guard suites put in front of the OpenAI fake: the built
// gateway (from a snapshot of dist/), the undici floor proxy, and Portkey's gateway; plus /proc
// readings over a process and its descendants (the gateway forks its embedded PostgreSQL) and a
// small Prometheus text parser for the gateway's GET /metrics.
import { readdirSync, readFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  cpuSeconds,
  freePort,
  spawnPinned,
  statusMb,
  stopChild,
  waitForHttp,
  waitForLine,
} from '../gateway/procs.mjs';
import { track } from './run-support.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const FLOOR = path.resolve(here, '../gateway/floor.mjs');
const PORTKEY_SHIM = path.resolve(here, '../peer/portkey-shim.mjs');
export const HOST = '127.0.0.1';
export const BENCH_API_KEY = 'sk-bench';

/**
 * The gateway's environment: the fake as OpenAI, cache off, auth off on loopback (no ADMIN_API_KEY),
 * embedded database; `overrides` last. Blank means unset: nothing from the caller's shell may switch
 * on auth, Postgres or Redis unless `overrides` does.
 */
export function gatewayEnv({ fakeUrl, port, dataDir, overrides = {} }) {
  return {
    NODE_ENV: 'production',
    PORT: String(port),
    HOST,
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    OPENAI_API_KEY: BENCH_API_KEY,
    OPENAI_BASE_URL: `${fakeUrl}/v1`,
    CACHE_DEFAULT_MODE: 'off',
    UPSTREAM_POOL_CONNECTIONS: '256',
    ADMIN_API_KEY: '',
    DATABASE_URL: '',
    REDIS_URL: '',
    GATEWAY_CONFIG: '',
    ...overrides,
  };
}

/**
 * Boots `gatewayMain` (a dist/src/main.js copy) on `cpu`, tracked in `children`, with its data in
 * `workDir`/gateway-data and `workDir` as its cwd (no .env there); resolves once /health/ready
 * answers 200. `env` overrides gatewayEnv's defaults.
 */
export async function startGateway({
  gatewayMain,
  workDir,
  fakeUrl,
  cpu,
  children,
  env = {},
  label = 'gateway',
  timeoutMs = 90_000,
}) {
  const port = await freePort(HOST);
  const dataDir = path.join(workDir, 'gateway-data');
  mkdirSync(dataDir, { recursive: true });
  const fullEnv = gatewayEnv({ fakeUrl, port, dataDir, overrides: env });
  const child = track(
    children,
    spawnPinned({
      name: 'gateway',
      cpu,
      args: [gatewayMain],
      env: { ...process.env, ...fullEnv },
      cwd: workDir,
    }),
  );
  const url = `http://${HOST}:${port}`;
  const started = performance.now();
  await waitForHttp(child, `${url}/health/ready`, timeoutMs);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`${label}: ready in ${seconds} s (pid ${child.pid})`);
  return { child, url, env: fullEnv };
}

/** bench/gateway/floor.mjs (node:http + undici Pool, JSON re-serialised) in front of the fake. */
export async function startFloor({ fakeUrl, cpu, children, timeoutMs = 30_000 }) {
  const child = track(
    children,
    spawnPinned({ name: 'floor proxy', cpu, args: [FLOOR, fakeUrl, BENCH_API_KEY] }),
  );
  const [, port] = await waitForLine(child, /^READY (\d+)$/m, timeoutMs);
  console.log(`floor: ready (pid ${child.pid})`);
  return { child, url: `http://${HOST}:${port}` };
}

/**
 * Portkey's gateway (node_modules/@portkey-ai/gateway/build/start-server.js) headless on a free port,
 * with bench/peer/portkey-shim.mjs preloaded (loopback only; see there why fetch is wrapped). It
 * routes by request headers: `portkeyHeaders(fakeUrl)`.
 */
export async function startPortkey({ root, cpu, children, timeoutMs = 30_000 }) {
  const port = await freePort(HOST);
  const server = path.join(root, 'node_modules/@portkey-ai/gateway/build/start-server.js');
  const child = track(
    children,
    spawnPinned({
      name: 'portkey',
      cpu,
      args: ['--import', PORTKEY_SHIM, server, `--port=${port}`, '--headless'],
      env: { ...process.env, NODE_ENV: 'production' },
    }),
  );
  const url = `http://${HOST}:${port}`;
  await waitForHttp(child, `${url}/`, timeoutMs);
  console.log(`portkey: ready (pid ${child.pid})`);
  return { child, url };
}

/** The headers that send a Portkey request to the fake as an OpenAI-compatible host. */
export function portkeyHeaders(fakeUrl) {
  return { 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${fakeUrl}/v1` };
}

export { stopChild };

/** `pid` and all its descendants (from /proc/<pid>/task/<tid>/children). */
export function processTree(pid) {
  const out = [];
  const visit = (p) => {
    out.push(p);
    let tasks = [];
    try {
      tasks = readdirSync(`/proc/${p}/task`);
    } catch {
      return;
    }
    for (const tid of tasks) {
      let text = '';
      try {
        text = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const c of text.split(' ').filter((x) => x.trim() !== '')) visit(Number(c));
    }
  };
  visit(pid);
  return out;
}

/** utime + stime of a process and its descendants, in seconds (NaN parts skipped). */
export function treeCpuSeconds(pid) {
  return processTree(pid)
    .map(cpuSeconds)
    .filter(Number.isFinite)
    .reduce((a, b) => a + b, 0);
}

/** VmRSS of a process and of its descendants, in MB: `{ main, tree }`. */
export function treeRssMb(pid) {
  const [first, ...rest] = processTree(pid).map((p) => statusMb(p, 'VmRSS'));
  const main = Number.isFinite(first) ? first : Number.NaN;
  const tree = main + rest.filter(Number.isFinite).reduce((a, b) => a + b, 0);
  return { main, tree };
}

/**
 * Prometheus text format → `[{ name, labels, value }]` (comments skipped; label values unescaped
 * for \\, \" and \n only, which is all prom-client emits).
 */
export function parsePrometheus(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels = {};
    if (match[3]) {
      for (const m of match[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
        labels[m[1]] = m[2].replace(/\\(["\\n])/g, (_, c) => (c === 'n' ? '\n' : c));
      }
    }
    samples.push({ name: match[1], labels, value: Number(match[4]) });
  }
  return samples;
}

/** The sum of every sample named `name` whose labels include `where`; null when there is none. */
export function metricSum(samples, name, where = {}) {
  let sum = null;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(where).some(([k, v]) => s.labels[k] !== v)) continue;
    sum = (sum ?? 0) + s.value;
  }
  return sum;
}

/** GET `url`/metrics parsed (the gateway without ADMIN_API_KEY serves loopback callers). */
export async function scrapeMetrics(url) {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}: ${text.slice(0, 200)}`);
  return parsePrometheus(text);
}
