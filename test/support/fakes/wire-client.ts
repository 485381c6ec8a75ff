import { request, type Agent, type IncomingHttpHeaders } from 'node:http';

/** One decoded SSE event (comments kept separately so tests can see keep-alives). */
export interface SseEvent {
  event?: string;
  data: string;
}

export interface SseParse {
  events: SseEvent[];
  comments: string[];
  /** Text after the last complete event (a truncated stream leaves something here). */
  rest: string;
}

/** Parses a complete SSE body per the WHATWG rules (any line ending, optional space after the colon). */
export function parseSse(text: string): SseParse {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  const complete = /(\r\n|\r|\n)(\r\n|\r|\n)$/.test(text) ? lines.length : lastBoundary(lines);
  let current: { event?: string; data: string[] } = { data: [] };
  for (const line of lines.slice(0, complete)) {
    if (line === '') {
      if (current.data.length > 0 || current.event !== undefined) {
        events.push({
          ...(current.event === undefined ? {} : { event: current.event }),
          data: current.data.join('\n'),
        });
      }
      current = { data: [] };
    } else if (line.startsWith(':')) {
      comments.push(line.slice(1));
    } else {
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') current.event = value;
      if (field === 'data') current.data.push(value);
    }
  }
  return { events, comments, rest: lines.slice(complete).join('\n') };
}

function lastBoundary(lines: string[]): number {
  for (let i = lines.length - 2; i >= 0; i--) if (lines[i] === '') return i + 1;
  return 0;
}

/** Parses NDJSON; lines that are not JSON are returned as `{ unparsable: line }`. */
export function parseNdjson<T = Record<string, unknown>>(text: string): Array<T | { unparsable: string }> {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as T;
      } catch {
        return { unparsable: line };
      }
    });
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Body pieces as they arrived from the socket. */
  chunks: Buffer[];
  text: string;
  /** Set when the connection failed or the body ended early. */
  error?: NodeJS.ErrnoException;
}

export interface RawRequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  agent?: Agent;
  signal?: AbortSignal;
}

/** A node:http request that keeps the raw body pieces and reports resets and truncation instead of throwing. */
export function rawRequest(url: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let response: RawResponse = { status: 0, headers: {}, chunks, text: '' };
    let settled = false;
    const finish = (error?: NodeJS.ErrnoException): void => {
      if (settled) return;
      settled = true;
      response = { ...response, text: Buffer.concat(chunks).toString('utf8'), ...(error ? { error } : {}) };
      resolve(response);
    };
    const req = request(url, {
      method: options.method ?? (payload === undefined ? 'GET' : 'POST'),
      agent: options.agent,
      signal: options.signal,
      headers: {
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
    });
    req.on('response', (res) => {
      response = { ...response, status: res.statusCode ?? 0, headers: res.headers };
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => finish());
      res.on('error', (error: NodeJS.ErrnoException) => finish(error));
      res.on('close', () => {
        if (!res.complete) finish(Object.assign(new Error('response ended early'), { code: 'ECONNRESET' }));
      });
    });
    req.on('error', (error: NodeJS.ErrnoException) => finish(error));
    req.end(payload);
  });
}

/** True when some piece ends or starts inside a multi-byte UTF-8 sequence. */
export function splitsMultibyte(chunks: Buffer[]): boolean {
  return chunks.some((c) => {
    const first = c[0];
    const last = c[c.length - 1];
    const startsInside = first !== undefined && (first & 0xc0) === 0x80;
    const endsOpen = last !== undefined && last >= 0xc0;
    return startsInside || endsOpen;
  });
}

export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

export function user(content: string): { role: 'user'; content: string } {
  return { role: 'user', content };
}

/** Polls `condition` every 5 ms until it holds, failing after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
