import { Pool, type Dispatcher } from 'undici';
import { mapTransportError, mapUpstreamFailure } from './upstream-errors.js';

export interface UpstreamHttpOptions {
  provider: string;
  baseUrl: string;
  /** Keep-alive sockets in this origin's pool. */
  connections: number;
  /** Longest wait for response headers (a non-streamed completion arrives all at once). */
  headersTimeoutMs?: number;
  /** Longest silence between body chunks. */
  bodyTimeoutMs?: number;
  /** Longest wait for a TCP/TLS connection (undici's default is 10 s). */
  connectTimeoutMs?: number;
  defaultHeaders: Record<string, string>;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
}

/** Reads the upstream's error fields from whatever JSON shape it uses. */
export type ErrorFieldsReader = (body: unknown) => { message?: string; code?: string; type?: string };

/**
 * One keep-alive `undici` pool per upstream origin. Makes exactly one attempt per call; non-2xx
 * answers become `GatewayError`s through the shared mapping, transport failures likewise, and an
 * abort propagates as an abort.
 */
export class UpstreamHttp {
  private readonly pool: Pool;
  private readonly basePath: string;

  constructor(
    private readonly opts: UpstreamHttpOptions,
    private readonly readErrorFields: ErrorFieldsReader,
  ) {
    const url = new URL(opts.baseUrl);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.pool = new Pool(url.origin, {
      connections: opts.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      headersTimeout: opts.headersTimeoutMs ?? 600_000,
      bodyTimeout: opts.bodyTimeoutMs ?? 120_000,
      ...(opts.connectTimeoutMs === undefined ? {} : { connect: { timeout: opts.connectTimeoutMs } }),
    });
  }

  get provider(): string {
    return this.opts.provider;
  }

  /** `path` is relative to the base URL's path (`/chat/completions` under `.../v1`). */
  async request(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    signal: AbortSignal,
    headers: Record<string, string> = {},
  ): Promise<UpstreamResponse> {
    let res: Dispatcher.ResponseData;
    try {
      res = await this.pool.request({
        method,
        path: `${this.basePath}${path}`,
        headers: {
          ...this.opts.defaultHeaders,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (err) {
      throw mapTransportError(this.opts.provider, err, signal);
    }
    if (res.statusCode >= 400) throw await this.failure(res, signal);
    return { status: res.statusCode, headers: res.headers, body: res.body };
  }

  async json<T>(res: UpstreamResponse, signal: AbortSignal): Promise<T> {
    try {
      return (await res.body.json()) as T;
    } catch (err) {
      throw mapTransportError(this.opts.provider, err, signal);
    }
  }

  poolStats(): { connected: number; free: number; pending: number; running: number; queued: number } {
    const s = this.pool.stats;
    return { connected: s.connected, free: s.free, pending: s.pending, running: s.running, queued: s.queued };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  private async failure(res: Dispatcher.ResponseData, signal: AbortSignal): Promise<unknown> {
    let parsed: unknown;
    try {
      const text = await res.body.text();
      parsed = text ? (JSON.parse(text) as unknown) : undefined;
    } catch (err) {
      if (signal.aborted) return mapTransportError(this.opts.provider, err, signal);
      parsed = undefined;
    }
    const fields = parsed === undefined ? {} : this.readErrorFields(parsed);
    const rid = res.headers['x-request-id'] ?? res.headers['request-id'];
    return mapUpstreamFailure({
      provider: this.opts.provider,
      status: res.statusCode,
      headers: res.headers,
      upstreamRequestId: typeof rid === 'string' ? rid : undefined,
      ...fields,
    });
  }
}
