// Helpers shared by the suites that boot the built gateway (bench/gateway, bench/limits, bench/cache):
// pinning the load generator, tracking and aborting child processes, snapshotting dist/, compiling and
// starting the OpenAI fake, and the report's provenance (commit, package versions, machine).
// Every function takes what it needs as parameters; nothing here holds module state.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, cpSync, existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { spawnPinned, waitForLine } from '../gateway/procs.mjs';

const FAKE_SERVER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../gateway/fake-server.mjs');

/**
 * Re-executes `script` under `taskset -c cpu` (the load generator's core) and exits with its status;
 * returns at once in the re-executed process, which `envVar`=1 marks.
 */
export async function pinSelf({ script, cpu, envVar }) {
  if (process.env[envVar] === '1') return;
  const child = spawn('taskset', ['-c', String(cpu), process.execPath, script, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, [envVar]: '1' },
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  const [code, signal] = await once(child, 'exit');
  process.exit(code ?? (signal ? 1 : 0));
}

/** Adds `child` to `children` until it exits; returns it. */
export function track(children, child) {
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

/**
 * On SIGINT/SIGTERM (exit 130) and, with `deadlineMs`, after that long (exit 1): SIGKILLs every
 * tracked child, runs `cleanup`, deletes `workDir` and exits. `name` (e.g. 'gateway') labels the
 * deadline message; `logSignal: false` exits on a signal without printing anything.
 */
export function installAbortHandlers({ children, workDir, name, deadlineMs, cleanup, logSignal = true }) {
  const abort = (message, code) => {
    if (message) console.error(message);
    for (const child of children) child.kill('SIGKILL');
    cleanup?.();
    rmSync(workDir, { recursive: true, force: true });
    process.exit(code);
  };
  if (deadlineMs) {
    setTimeout(
      () => abort(`${name} benchmark exceeded ${deadlineMs / 1000} s, aborting`, 1),
      deadlineMs,
    ).unref();
  }
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => abort(logSignal ? `${signal}, aborting` : null, 130));
  }
}

/**
 * Copies `root`/dist into `workDir`/app (node_modules linked, package.json for "type": "module"), so
 * the run uses one build even if someone rebuilds meanwhile. Waits up to `waitMs` for a build in
 * progress (0: fails at once when dist/src/main.js is missing). Returns the app dir.
 */
export async function snapshotDist({ root, workDir, waitMs = 0, rerunHint = 'rerun the suite' }) {
  const builtMain = path.join(root, 'dist/src/main.js');
  const deadline = Date.now() + waitMs;
  while (!existsSync(builtMain)) {
    if (Date.now() >= deadline) throw new Error(`${builtMain} is missing: run \`npm run build\` first`);
    await sleep(500);
  }
  const appDir = path.join(workDir, 'app');
  cpSync(path.join(root, 'dist'), path.join(appDir, 'dist'), { recursive: true });
  copyFileSync(path.join(root, 'package.json'), path.join(appDir, 'package.json'));
  symlinkSync(path.join(root, 'node_modules'), path.join(appDir, 'node_modules'), 'dir');
  if (!existsSync(path.join(appDir, 'dist/src/main.js')))
    throw new Error(`dist/ changed while it was copied; ${rerunHint}`);
  return appDir;
}

/** Emits test/support/fakes/*.ts (tsconfig.bench.json) as ESM JavaScript into `workDir`/fakes. */
export function compileFakes({ root, workDir }) {
  const outDir = path.join(workDir, 'fakes');
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(
    process.execPath,
    [tsc, '-p', path.join(root, 'tsconfig.bench.json'), '--outDir', outDir],
    { cwd: root, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`compiling the fakes failed:\n${r.stdout}${r.stderr}`);
  // Outside the repository no package.json says "type": "module".
  writeFileSync(path.join(outDir, 'package.json'), '{ "type": "module" }\n');
  return outDir;
}

/**
 * Starts bench/gateway/fake-server.mjs on `cpu` with `latencyMs` before its headers, tracked in
 * `children`; `args` are its options (e.g. `['--fault-rate', '0.1']`). `setLatency(ms)` changes the
 * delay (a no-op when unchanged; `announce` logs each change); `stats()` resolves with its counters.
 */
export async function startFake({
  fakesDir,
  latencyMs,
  cpu,
  children,
  timeoutMs,
  announce = false,
  args = [],
}) {
  const child = track(
    children,
    spawnPinned({ name: 'fake upstream', cpu, args: [FAKE_SERVER, fakesDir, String(latencyMs), ...args] }),
  );
  const [, url] = await waitForLine(child, /^READY (\S+)$/m, timeoutMs);
  let current = latencyMs;
  const setLatency = async (ms) => {
    if (ms === current) return;
    const ok = waitForLine(child, new RegExp(`^OK latency ${ms}$`, 'm'), 5000);
    child.stdin.write(`latency ${ms}\n`);
    await ok;
    current = ms;
    if (announce) console.log(`fake upstream: ${ms} ms before headers`);
  };
  const stats = async () => {
    const answer = waitForLine(child, /^STATS (.+)$/m, 5000);
    child.stdin.write('stats\n');
    return JSON.parse((await answer)[1]);
  };
  return { child, url, setLatency, stats };
}

/**
 * HEAD of the repository at `root`. With `markDirty`, `+dirty` is appended when src/ or migrations/
 * have changes (the build measured may include them). `fallback` when git fails.
 */
export function gitCommit(root, { markDirty = true, fallback = null } = {}) {
  try {
    const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
    const dirty = markDirty && git('status', '--porcelain', '--', 'src', 'migrations') !== '';
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? '+dirty' : ''}`;
  } catch {
    return fallback;
  }
}

/** `{ name: version }` from `root`/node_modules (null for a package that is not installed). */
export function packageVersions(root, names) {
  return Object.fromEntries(names.map((n) => [n, packageVersion(root, n)]));
}

export function packageVersion(root, name) {
  try {
    return JSON.parse(readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return null;
  }
}

/** The report's `machine` block; `loadAvgBefore` as taken at the start of the run. */
export function machineInfo(loadAvgBefore) {
  return {
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    totalMemMb: Math.round(os.totalmem() / 2 ** 20),
    loadAvgBefore,
    loadAvgAfter: os.loadavg().map(round2),
  };
}

/** Busy share of one core between two /proc/stat readings (cpuTicks()), or null. */
export function coreBusy(before, after) {
  if (!before || !after) return null;
  return round2((after.busy - before.busy) / (after.total - before.total));
}

export function round1(x) {
  return Number.isFinite(x) ? Math.round(x * 10) / 10 : null;
}

export function round2(x) {
  return Math.round(x * 100) / 100;
}
