// The soak's steady mixed load: JSON and streamed chat completions over HTTP (repeated prompts that
// the exact cache answers, unique ones it cannot, streams cancelled after their first delta) and
// chat requests over a small pool of WebSockets (some cancelled with chat.cancel), started at a
// fixed rate with a cap on requests in flight. WebSockets are replaced one at a time now and then
// (closed once idle, a new one opened), so socket setup and teardown are soaked too.
import { Pool } from 'undici';
import WebSocket from 'ws';
import { summarize } from '../gateway/load.mjs';

export const MIX = [
  { kind: 'json-repeat', weight: 30 },
  { kind: 'json-unique', weight: 15 },
  { kind: 'stream-repeat', weight: 15 },
  { kind: 'stream-unique', weight: 10 },
  { kind: 'stream-cancel', weight: 10 },
  { kind: 'ws', weight: 15 },
  { kind: 'ws-cancel', weight: 5 },
];
const REPEATED_PROMPTS = 40;
const TICK_MS = 50;
const CALL_DEADLINE_MS = 30_000;
const MODEL = 'openai/gpt-4o-mini';

/**
 * Starts the load against `origin`; `stop()` stops starting requests, waits for those in flight,
 * closes the WebSockets and resolves with the per-kind outcomes.
 */
export function startLoad({ origin, rate, maxInFlight, websockets, wsReplaceEverySeconds, runId }) {
  const pool = new Pool(origin, { connections: 48, pipelining: 1 });
  const stats = Object.fromEntries(
    MIX.map((m) => [m.kind, { sent: 0, ok: 0, cancelled: 0, failed: 0, errors: {}, latencies: [] }]),
  );
  const totalWeight = MIX.reduce((a, m) => a + m.weight, 0);
  const inFlight = new Set();
  const sockets = new WsPool(origin, websockets);
  let unique = 0;
  let credit = 0;
  let skipped = 0;
  let stopping = false;

  const prompt = (repeat) =>
    repeat
      ? `soak question ${Math.floor(Math.random() * REPEATED_PROMPTS)} about the weather in town`
      : `unique soak question ${runId} ${unique++} about the weather in town`;

  const launch = () => {
    let pick = Math.random() * totalWeight;
    const { kind } = MIX.find((m) => (pick -= m.weight) < 0) ?? MIX[0];
    const s = stats[kind];
    s.sent++;
    const t0 = performance.now();
    let call;
    if (kind === 'json-repeat' || kind === 'json-unique')
      call = jsonCall(pool, prompt(kind === 'json-repeat'));
    else if (kind === 'stream-cancel') call = sseCall(pool, prompt(false), true);
    else if (kind.startsWith('stream')) call = sseCall(pool, prompt(kind === 'stream-repeat'), false);
    else call = sockets.call(prompt(kind === 'ws' && Math.random() < 0.5), kind === 'ws-cancel');
    const tracked = withDeadline(call).then((outcome) => {
      inFlight.delete(tracked);
      if (outcome.ok) {
        s.ok++;
        s.latencies.push(performance.now() - t0);
      } else if (outcome.cancelled) s.cancelled++;
      else {
        s.failed++;
        s.errors[outcome.error] = (s.errors[outcome.error] ?? 0) + 1;
      }
    });
    inFlight.add(tracked);
  };

  const ticker = setInterval(() => {
    if (stopping) return;
    credit += (rate * TICK_MS) / 1000;
    while (credit >= 1) {
      credit -= 1;
      if (inFlight.size >= maxInFlight) skipped++;
      else launch();
    }
  }, TICK_MS);
  const replacer = setInterval(() => sockets.replaceOne(), wsReplaceEverySeconds * 1000);

  return {
    inFlight: () => inFlight.size,
    done: () =>
      MIX.reduce((a, m) => a + stats[m.kind].ok + stats[m.kind].cancelled + stats[m.kind].failed, 0),
    async stop() {
      stopping = true;
      clearInterval(ticker);
      clearInterval(replacer);
      await Promise.all([...inFlight]);
      await sockets.close();
      await pool.close();
      const byKind = Object.fromEntries(
        Object.entries(stats).map(([k, s]) => {
          const { latencies, ...rest } = s;
          return [k, { ...rest, latencyMs: summarize(latencies) }];
        }),
      );
      return {
        byKind,
        skippedAtCap: skipped,
        websocketsOpened: sockets.opened,
        websocketsLost: sockets.lost,
      };
    },
  };
}

function withDeadline(call) {
  let timer;
  const deadline = new Promise((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, error: `no end within ${CALL_DEADLINE_MS} ms` }),
      CALL_DEADLINE_MS,
    );
  });
  return Promise.race([call, deadline]).finally(() => clearTimeout(timer));
}

function body(content, stream) {
  return JSON.stringify({
    model: MODEL,
    ...(stream ? { stream: true } : {}),
    messages: [{ role: 'user', content }],
  });
}

async function jsonCall(pool, content) {
  try {
    const res = await pool.request({
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { 'content-type': 'application/json' },
      body: body(content, false),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) return { ok: false, error: `HTTP ${res.statusCode}` };
    const answer = JSON.parse(text).choices?.[0]?.message?.content;
    return answer === `Echo: ${content}` ? { ok: true } : { ok: false, error: 'wrong answer' };
  } catch (err) {
    return { ok: false, error: err.code ?? err.message };
  }
}

/** A streamed completion; with `cancel`, the client goes away after the first content delta. */
async function sseCall(pool, content, cancel) {
  const abort = new AbortController();
  let text = '';
  try {
    const res = await pool.request({
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { 'content-type': 'application/json' },
      body: body(content, true),
      signal: abort.signal,
    });
    if (res.statusCode !== 200) {
      await res.body.text();
      return { ok: false, error: `HTTP ${res.statusCode}` };
    }
    for await (const chunk of res.body) {
      text += chunk.toString('utf8');
      if (cancel && /"content":"[^"]/.test(text)) abort.abort();
    }
  } catch (err) {
    if (cancel && abort.signal.aborted) return { cancelled: true };
    return { ok: false, error: err.code ?? err.message };
  }
  if (cancel) return { ok: false, error: 'stream ended before it could be cancelled' };
  if (!text.includes('data: [DONE]')) return { ok: false, error: 'stream without [DONE]' };
  const deltas = [...text.matchAll(/"content":"((?:[^"\\]|\\.)*)"/g)]
    .map((m) => JSON.parse(`"${m[1]}"`))
    .join('');
  return deltas === `Echo: ${content}` ? { ok: true } : { ok: false, error: 'wrong answer' };
}

/** A few long-lived WebSockets on /ws/chat, each carrying many requests by id. */
class WsPool {
  constructor(origin, size) {
    this.url = `${origin.replace(/^http/, 'ws')}/ws/chat`;
    this.sockets = [];
    this.next = 0;
    this.ids = 0;
    this.opened = 0;
    this.lost = 0;
    this.closing = false;
    for (let i = 0; i < size; i++) this.sockets.push(this.open());
  }

  open() {
    const entry = {
      ws: new WebSocket(this.url, { perMessageDeflate: false }),
      pending: new Map(),
      draining: false,
    };
    this.opened++;
    entry.ready = new Promise((resolve) => {
      entry.ws.once('open', () => resolve(true));
      entry.ws.once('error', () => resolve(false));
    });
    entry.ws.on('message', (data) => this.onFrame(entry, data));
    entry.ws.on('error', () => {});
    entry.ws.on('close', () => {
      for (const p of entry.pending.values()) p.resolve({ ok: false, error: 'WebSocket closed mid-request' });
      entry.pending.clear();
      if (!entry.draining && !this.closing) {
        // Lost without being asked to close: count it and put a new socket in its place.
        this.lost++;
        const i = this.sockets.indexOf(entry);
        if (i >= 0) this.sockets[i] = this.open();
      }
    });
    return entry;
  }

  onFrame(entry, data) {
    let frame;
    try {
      frame = JSON.parse(data.toString('utf8'));
    } catch {
      return;
    }
    const p = entry.pending.get(frame.id);
    if (!p) return; // a frame for a request already cancelled
    if (frame.type === 'chat.delta') {
      p.text += frame.delta ?? '';
      if (p.cancel && p.text.length > 0) {
        entry.ws.send(JSON.stringify({ type: 'chat.cancel', id: frame.id }));
        entry.pending.delete(frame.id);
        p.resolve({ cancelled: true });
      }
    } else if (frame.type === 'chat.done') {
      entry.pending.delete(frame.id);
      p.resolve(p.text === p.expected ? { ok: true } : { ok: false, error: 'wrong answer' });
    } else if (frame.type === 'chat.error') {
      entry.pending.delete(frame.id);
      p.resolve({ ok: false, error: `chat.error ${frame.error?.code ?? frame.error?.type}` });
    }
    this.maybeRetire(entry);
  }

  async call(content, cancel) {
    const candidates = this.sockets.filter((e) => !e.draining);
    const entry = candidates[this.next++ % candidates.length];
    if (!entry || !(await entry.ready) || entry.ws.readyState !== WebSocket.OPEN) {
      return { ok: false, error: 'no open WebSocket' };
    }
    const id = `r${this.ids++}`;
    return new Promise((resolve) => {
      entry.pending.set(id, { resolve, text: '', expected: `Echo: ${content}`, cancel });
      entry.ws.send(
        JSON.stringify({
          type: 'chat.request',
          id,
          body: { model: MODEL, messages: [{ role: 'user', content }] },
        }),
      );
    });
  }

  /** Retires the oldest socket: no new requests; closed (1000) once its requests are done; replaced at once. */
  replaceOne() {
    if (this.closing) return;
    const entry = this.sockets.shift();
    if (!entry) return;
    entry.draining = true;
    this.sockets.push(this.open());
    this.retiring = [...(this.retiring ?? []).filter((e) => e.ws.readyState !== WebSocket.CLOSED), entry];
    this.maybeRetire(entry);
  }

  maybeRetire(entry) {
    if (entry.draining && entry.pending.size === 0 && entry.ws.readyState === WebSocket.OPEN)
      entry.ws.close(1000);
  }

  async close() {
    this.closing = true;
    const all = [...this.sockets, ...(this.retiring ?? [])];
    await Promise.all(
      all.map(
        (e) =>
          new Promise((resolve) => {
            if (e.ws.readyState === WebSocket.CLOSED) return resolve();
            e.ws.once('close', resolve);
            e.ws.close(1000);
            setTimeout(() => {
              e.ws.terminate();
              resolve();
            }, 3000).unref();
          }),
      ),
    );
  }
}
