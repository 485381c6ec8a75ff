import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSse, rawRequest, type RawResponse } from './fakes/wire-client.js';

/** What `GET /api/routes` answers for one target. */
export interface TargetView {
  id: string;
  provider: string;
  model: string;
  weight: number;
  state: 'healthy' | 'cooling' | 'half-open';
  cooling_until: string | null;
  in_flight: number;
  ewma_ms: number | null;
}

export interface RouteView {
  alias: string;
  strategy: string;
  targets: TargetView[];
}

/** Writes a `GATEWAY_CONFIG` file (YAML text) into `dir` and returns its path. */
export function writeGatewayConfig(dir: string, yaml: string, name = 'gateway.yaml'): string {
  const path = join(dir, name);
  writeFileSync(path, yaml);
  return path;
}

export interface ChatOptions {
  stream?: boolean;
  fallbacks?: string[];
  prompt?: string;
  headers?: Record<string, string>;
}

/** `POST /v1/chat/completions` with a one-message body; never throws on a status or a cut body. */
export function chat(baseUrl: string, model: string, opts: ChatOptions = {}): Promise<RawResponse> {
  return rawRequest(`${baseUrl}/v1/chat/completions`, {
    headers: opts.headers,
    body: {
      model,
      messages: [{ role: 'user', content: opts.prompt ?? 'Say hello' }],
      ...(opts.stream ? { stream: true } : {}),
      ...(opts.fallbacks ? { fallbacks: opts.fallbacks } : {}),
    },
  });
}

/** The assistant text of a non-streamed completion. */
export function completionText(res: RawResponse): string | null | undefined {
  const body = JSON.parse(res.text) as { choices?: Array<{ message?: { content?: string | null } }> };
  return body.choices?.[0]?.message?.content;
}

/** The error envelope of a failed call. */
export function errorOf(res: RawResponse): { type: string; code: string; message: string } {
  return (JSON.parse(res.text) as { error: { type: string; code: string; message: string } }).error;
}

export interface StreamSummary {
  /** Concatenated `delta.content` of every chunk. */
  text: string;
  /** `data: [DONE]` events. */
  done: number;
  /** Chunks that carry `delta.role`. */
  roles: number;
  /** Error envelopes sent as SSE events. */
  errors: Array<{ code: string; type: string; message: string }>;
}

/** Decodes an OpenAI SSE body as the gateway sends it. */
export function summarizeStream(text: string): StreamSummary {
  const summary: StreamSummary = { text: '', done: 0, roles: 0, errors: [] };
  for (const ev of parseSse(text).events) {
    if (ev.data === '[DONE]') {
      summary.done++;
      continue;
    }
    const chunk = JSON.parse(ev.data) as {
      error?: { code: string; type: string; message: string };
      choices?: Array<{ delta?: { role?: string; content?: string | null } }>;
    };
    if (chunk.error) summary.errors.push(chunk.error);
    for (const c of chunk.choices ?? []) {
      if (c.delta?.role) summary.roles++;
      summary.text += c.delta?.content ?? '';
    }
  }
  return summary;
}

/** `GET /api/routes`. */
export async function routeViews(
  baseUrl: string,
  headers: Record<string, string> = {},
): Promise<RouteView[]> {
  const res = await rawRequest(`${baseUrl}/api/routes`, { headers });
  if (res.status !== 200) throw new Error(`GET /api/routes answered ${res.status}: ${res.text}`);
  return (JSON.parse(res.text) as { data: RouteView[] }).data;
}

/** One target of one alias as `GET /api/routes` shows it. */
export async function targetView(
  baseUrl: string,
  alias: string,
  target: string,
  headers: Record<string, string> = {},
): Promise<TargetView> {
  const route = (await routeViews(baseUrl, headers)).find((r) => r.alias === alias);
  const view = route?.targets.find((t) => t.id === target);
  if (!view) throw new Error(`no target ${target} in alias ${alias}`);
  return view;
}

/** Polls an async condition every 20 ms until it holds; fails after `timeoutMs`. */
export async function waitUntil(
  condition: () => Promise<boolean>,
  timeoutMs = 3000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Runs `task(i)` for i in [0, total) with at most `concurrency` running at once; results in order. */
export async function runPool<T>(
  total: number,
  concurrency: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const results = new Array<T>(total);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, () => worker()));
  return results;
}
