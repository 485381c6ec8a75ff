// Redis plumbing for the limits suite, all through `redis-cli` (run from the load generator's CPU,
// never while a load phase is running): INFO snapshots and their per-request command deltas, the
// server's pid for /proc CPU readings, and deleting the run's keys at the end.
import { execFileSync } from 'node:child_process';
import { cpuSeconds } from '../gateway/procs.mjs';

const CLI_TIMEOUT_MS = 10_000;
// SCAN output of a run's keys (e.g. the soak's cache entries) exceeds execFileSync's 1 MB default.
const CLI_MAX_BUFFER = 256 * 2 ** 20;
const DELETE_CHUNK = 500;
/** INFO is ours (the snapshots themselves), never the gateway's. */
const OWN_COMMANDS = new Set(['info']);

function cli(url, args) {
  return execFileSync('redis-cli', ['-u', url, ...args], {
    encoding: 'utf8',
    timeout: CLI_TIMEOUT_MS,
    maxBuffer: CLI_MAX_BUFFER,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Throws with a readable message when Redis does not answer PONG. */
export function assertRedis(url) {
  let answer;
  try {
    answer = cli(url, ['PING']).trim();
  } catch (err) {
    throw new Error(`Redis at ${url} is not reachable through redis-cli: ${err.message}`);
  }
  if (answer !== 'PONG') throw new Error(`Redis at ${url} answered PING with ${JSON.stringify(answer)}`);
}

/** redis_version, process_id, and the CPU mask of that process (when it is visible in /proc). */
export function serverInfo(url) {
  const info = parseInfo(cli(url, ['INFO', 'server']));
  const pid = Number(info.process_id);
  let affinity = null;
  try {
    affinity = execFileSync('taskset', ['-cp', String(pid)], { encoding: 'utf8' })
      .trim()
      .split(': ')
      .pop();
  } catch {
    // not our pid namespace, or no taskset
  }
  const procVisible = Number.isFinite(cpuSeconds(pid));
  return { version: info.redis_version, pid, procVisible, affinity };
}

/**
 * One INFO call: total commands processed, used CPU (getrusage of the server, all threads) and
 * every cmdstat_* line as {calls, usec}. Commands run inside Lua scripts are counted in
 * commandstats too (Redis 7), which is why EVALSHA and INCRBY both appear.
 */
export function snapshot(url) {
  const info = parseInfo(cli(url, ['INFO', 'stats', 'cpu', 'commandstats']));
  const commands = {};
  for (const [field, value] of Object.entries(info)) {
    if (!field.startsWith('cmdstat_')) continue;
    const parts = Object.fromEntries(value.split(',').map((kv) => kv.split('=')));
    commands[field.slice('cmdstat_'.length)] = { calls: Number(parts.calls), usec: Number(parts.usec) };
  }
  return {
    totalCommands: Number(info.total_commands_processed),
    cpuSeconds: Number(info.used_cpu_sys) + Number(info.used_cpu_user),
    commands,
  };
}

/**
 * Per-request Redis work between two snapshots: calls of each command (INFO excluded), script calls
 * (EVALSHA + EVAL: the limiter's round trips, as the gateway sends nothing else per request here),
 * all commands (total_commands_processed counts the commands run inside scripts too, so it is not
 * a round-trip count), the server-side µs of the script calls (commandstats times a script with
 * its inner commands) and the server's whole CPU per request.
 * Redis is shared by the machine: anything else talking to it in the window shows up here too.
 */
export function commandDelta(before, after, requests) {
  const perRequest = {};
  const callCounts = {};
  let ownCalls = 0;
  let scriptCalls = 0;
  let scriptUsec = 0;
  for (const [name, a] of Object.entries(after.commands)) {
    const b = before.commands[name] ?? { calls: 0, usec: 0 };
    const calls = a.calls - b.calls;
    if (calls <= 0) continue;
    if (OWN_COMMANDS.has(name)) {
      ownCalls += calls;
      continue;
    }
    perRequest[name] = per(calls, requests);
    callCounts[name] = calls;
    if (name === 'evalsha' || name === 'eval') {
      scriptCalls += calls;
      scriptUsec += a.usec - b.usec;
    }
  }
  const cpuUs = (after.cpuSeconds - before.cpuSeconds) * 1e6;
  return {
    requests,
    perRequest,
    calls: callCounts,
    scriptCallsPerRequest: per(scriptCalls, requests),
    commandsPerRequest: per(after.totalCommands - before.totalCommands - ownCalls, requests),
    scriptUsPerRequest: per(scriptUsec, requests),
    serverCpuUsPerRequest: requests > 0 ? Math.round(cpuUs / requests) : null,
  };
}

function per(n, requests) {
  return requests > 0 ? round3(n / requests) : null;
}

/** Deletes every key under `prefix` (SCAN, then UNLINK in chunks); returns how many and what is left. */
export function deletePrefix(url, prefix) {
  const scan = () =>
    cli(url, ['--scan', '--pattern', `${prefix}*`])
      .split('\n')
      .filter((k) => k.length > 0);
  const keys = scan();
  for (let i = 0; i < keys.length; i += DELETE_CHUNK)
    cli(url, ['UNLINK', ...keys.slice(i, i + DELETE_CHUNK)]);
  return { deleted: keys.length, remaining: scan().length };
}

function parseInfo(text) {
  const out = {};
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

function round3(x) {
  return Math.round(x * 1000) / 1000;
}
