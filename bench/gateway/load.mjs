// Load generation for the gateway suite.
// - `hammer`: autocannon for throughput; latencies come from its `response` events (float ms),
//   because its own histogram keeps whole milliseconds, too coarse for sub-ms overhead.
// - `firstByteLoop`: a small undici client loop timing the first body byte of each response
//   (time to first token for SSE), which autocannon cannot report.
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Pool } from 'undici';

const PATH = '/v1/chat/completions';

/**
 * The request a target receives: the same JSON for all, the model named as that target expects it,
 * a bearer key only when the target wants one, and any `headers` of its own. The fake echoes
 * `content` word by word (one stream delta per word).
 */
export function chatRequest({ model, stream, apiKey, content = 'hello there', headers: extra = {} }) {
  const body = { model, messages: [{ role: 'user', content }] };
  if (stream) body.stream = true;
  const headers = { 'content-type': 'application/json', ...extra };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  return { method: 'POST', path: PATH, headers, body: JSON.stringify(body) };
}

/**
 * One autocannon run; returns req/s over the measured window, the float latencies of the answers
 * `isOk` accepts (2xx by default) and every status seen. With `warmupSeconds`, the run lasts that
 * much longer on the same connections and only answers that arrive after it are measured (req/s,
 * latencies, statuses); `errors` and `timeouts` are autocannon's totals, warm-up included.
 */
export async function hammer({
  origin,
  request,
  connections,
  seconds,
  warmupSeconds = 0,
  isOk = (s) => s >= 200 && s < 300,
}) {
  const latencies = [];
  const statuses = {};
  let failed = 0;
  let warmupAnswers = 0;
  const startedAt = performance.now();
  const measureFrom = startedAt + warmupSeconds * 1000;
  const run = autocannon({
    url: origin + request.path,
    method: request.method,
    headers: request.headers,
    body: request.body,
    connections,
    pipelining: 1,
    duration: warmupSeconds + seconds,
  });
  run.on('response', (_client, status, _bytes, ms) => {
    if (warmupSeconds > 0 && performance.now() < measureFrom) {
      warmupAnswers++;
      return;
    }
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (isOk(status)) latencies.push(ms);
    else failed++;
  });
  const result = await run;
  const endedAt = performance.now();
  const wallSeconds = (endedAt - startedAt) / 1000;
  const measuredSeconds = warmupSeconds > 0 ? (endedAt - measureFrom) / 1000 : result.duration;
  return {
    wallSeconds,
    seconds: measuredSeconds,
    ok: latencies.length,
    reqPerSec: latencies.length / measuredSeconds,
    latencies,
    latency: summarize(latencies),
    statuses,
    non2xx: failed,
    errors: result.errors,
    timeouts: result.timeouts,
    ...(warmupSeconds > 0 ? { warmupAnswers } : {}),
  };
}

/**
 * `connections` loops, each sending the next request when the previous one ends, for `seconds`
 * after `warmupSeconds` (new sockets to the target are opened during the warm-up). `keepRaw` adds
 * the measured first-byte and total times (`raw`), e.g. to pool several rounds.
 */
export async function firstByteLoop({
  origin,
  request,
  connections,
  seconds,
  warmupSeconds,
  keepRaw = false,
}) {
  const pool = new Pool(origin, { connections, pipelining: 1 });
  const firstByte = [];
  const total = [];
  let failures = 0;
  const measureFrom = performance.now() + warmupSeconds * 1000;
  const stopAt = measureFrom + seconds * 1000;
  const loop = async () => {
    while (performance.now() < stopAt) {
      const timing = await timeOne(pool, request);
      if (timing.startedAt < measureFrom) continue;
      if (!timing.ok) failures++;
      else {
        firstByte.push(timing.firstByteMs);
        total.push(timing.totalMs);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: connections }, loop));
  } finally {
    await pool.close();
  }
  const result = {
    requests: total.length,
    failures,
    firstByte: summarize(firstByte),
    total: summarize(total),
  };
  return keepRaw ? { ...result, raw: { firstByte, total } } : result;
}

async function timeOne(pool, request) {
  const startedAt = performance.now();
  try {
    const { statusCode, body } = await pool.request(request);
    let firstAt;
    for await (const chunk of body) {
      if (firstAt === undefined && chunk.length > 0) firstAt = performance.now();
    }
    const endAt = performance.now();
    return {
      startedAt,
      ok: statusCode === 200 && firstAt !== undefined,
      firstByteMs: firstAt - startedAt,
      totalMs: endAt - startedAt,
    };
  } catch {
    return { startedAt, ok: false };
  }
}

/** p50/p90/p99/mean/max of float milliseconds, rounded to µs. */
export function summarize(values) {
  if (values.length === 0) return { n: 0, p50: null, p90: null, p99: null, mean: null, max: null };
  const sorted = Float64Array.from(values).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return {
    n: sorted.length,
    p50: round3(at(0.5)),
    p90: round3(at(0.9)),
    p99: round3(at(0.99)),
    mean: round3(mean),
    max: round3(sorted[sorted.length - 1]),
  };
}

export function round3(x) {
  return Math.round(x * 1000) / 1000;
}
