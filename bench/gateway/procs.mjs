// Child-process plumbing for the gateway suite: pinned spawns, readiness, shutdown, and the
// /proc readings (CPU seconds, resident memory) taken from outside the measured process.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const TAIL_CHARS = 4000;
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * Starts `node <args>` under `taskset -c <cpu>` (taskset execs, so `child.pid` is node's pid).
 * Output is kept as a short tail for error messages; `lines` receives stdout line by line.
 */
export function spawnPinned({ name, cpu, args, env = process.env, cwd, onLine }) {
  const child = spawn('taskset', ['-c', String(cpu), process.execPath, ...args], {
    cwd,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.benchName = name;
  child.outputTail = '';
  const keep = (chunk) => {
    child.outputTail = (child.outputTail + chunk).slice(-TAIL_CHARS);
  };
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    keep(chunk);
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop();
    for (const line of lines) onLine?.(line);
  });
  child.stderr.setEncoding('utf8').on('data', keep);
  return child;
}

/** Resolves with the first stdout line matching `pattern` (its match), rejects on exit or timeout. */
export function waitForLine(child, pattern, timeoutMs) {
  return new Promise((resolve, reject) => {
    let pending = '';
    const finish = (fn, value) => {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      fn(value);
    };
    const onData = (chunk) => {
      pending += chunk;
      const match = pattern.exec(pending);
      if (match) finish(resolve, match);
    };
    const onExit = (code, signal) =>
      finish(reject, failure(child, `exited early (code ${code}, signal ${signal})`));
    const timer = setTimeout(
      () => finish(reject, failure(child, `not ready after ${timeoutMs} ms`)),
      timeoutMs,
    );
    child.stdout.on('data', onData);
    child.on('exit', onExit);
  });
}

/** Polls `url` until it answers 200; the gateway has no READY line, only /health/ready. */
export async function waitForHttp(child, url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw failure(child, `exited early (code ${child.exitCode}, signal ${child.signalCode})`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw failure(child, `not ready after ${timeoutMs} ms`);
}

export async function stopChild(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export function freePort(host) {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** utime + stime of a process (all its threads) from /proc, in seconds. */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** Busy and total clock ticks per CPU from /proc/stat (busy = everything but idle and iowait). */
export function cpuTicks() {
  const out = {};
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const match = /^(cpu\d+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const ticks = match[2].split(' ').slice(0, 8).map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    out[match[1]] = { busy: total - ticks[3] - ticks[4], total };
  }
  return out;
}

/** A field of /proc/<pid>/status in MB (VmRSS = resident now, VmHWM = resident peak). */
export function statusMb(pid, field) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * Samples VmRSS of some processes every `intervalMs`; `peaks()` returns (and resets) the highest
 * value seen per name since the previous call, so each phase gets its own peak.
 */
export function rssSampler(processes, intervalMs) {
  let phase = {};
  const sample = () => {
    for (const [name, pid] of Object.entries(processes())) {
      const mb = statusMb(pid, 'VmRSS');
      if (Number.isFinite(mb)) phase[name] = Math.max(phase[name] ?? 0, mb);
    }
  };
  const timer = setInterval(sample, intervalMs);
  timer.unref();
  return {
    peaks() {
      sample();
      const out = phase;
      phase = {};
      return out;
    },
    stop: () => clearInterval(timer),
  };
}

function failure(child, what) {
  return new Error(`${child.benchName} ${what}\n--- output tail ---\n${child.outputTail}`);
}
