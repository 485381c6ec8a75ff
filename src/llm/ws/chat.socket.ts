import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { WebSocket, type RawData } from 'ws';
import type { Principal } from '../../auth/principal.js';
import { toGatewayError } from '../../common/errors/error-envelope.js';
import { GatewayError } from '../../common/errors/gateway-error.js';
import type { ShutdownState } from '../../common/lifecycle/shutdown-state.js';
import type { RequestRateLimiter } from '../../limits/request-rate.limiter.js';
import type { ChatFlow } from '../chat-flow.js';
import type { ChatCompletionRequestDto } from '../dto/chat-completion.request.dto.js';
import { errorFrame, parseClientFrame } from './chat-frame.protocol.js';
import { type FrameChannel, type RequestHandle, WsChatSink } from './chat-ws.sink.js';

/** How often a request blocked on a full socket buffer looks again. */
const ROOM_POLL_MS = 10;
/** WebSocket close code "going away": the server is shutting down. */
export const CLOSE_GOING_AWAY = 1001;

export interface ChatSocketOptions {
  maxMessageBytes: number;
  maxBufferedBytes: number;
  maxRequestsPerSocket: number;
}

export interface ChatSocketDeps {
  flow: ChatFlow;
  rate: RequestRateLimiter;
  shutdown: ShutdownState;
  log: Logger;
  options: ChatSocketOptions;
}

function frameBytes(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}

function frameText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data).toString('utf8');
}

/**
 * One authenticated `/ws/chat` connection: parses frames, runs each `chat.request` through the shared
 * chat flow with its own AbortController (many at once, each under its id), and writes with
 * backpressure: a request whose frames would push the socket buffer past `maxBufferedBytes` waits
 * before it pulls the next upstream part.
 */
export class ChatSocket implements FrameChannel {
  /** Whether the peer answered the last ping. */
  private alive = true;
  private draining = false;
  private readsPaused = false;
  /** Requests by the client's id (a cancelled id is free again at once). */
  private readonly byId = new Map<string, RequestHandle>();
  /** Requests still running (a cancelled one until its upstream call has unwound). */
  private readonly running = new Set<RequestHandle>();
  /** Resolves once the connection is gone. */
  readonly closed: Promise<void>;

  constructor(
    private readonly ws: WebSocket,
    private readonly principal: Principal,
    private readonly deps: ChatSocketDeps,
  ) {
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('pong', () => {
      this.alive = true;
    });
    this.closed = new Promise((resolve) => {
      ws.once('close', () => {
        this.abortAll();
        resolve();
      });
    });
    ws.on('error', (err) => deps.log.debug({ err: err.message }, 'websocket error'));
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** A heartbeat tick: a peer that did not answer the previous ping is dead; otherwise ping again. */
  beat(): void {
    if (!this.alive) {
      this.ws.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  /** The server drains: no new requests; the socket closes (1001) once the running ones are done. */
  drain(): void {
    this.draining = true;
    this.closeIfIdle();
  }

  /** The application closes: running requests are cut and the socket closes now. */
  close(): void {
    this.draining = true;
    this.abortAll();
    this.ws.close(CLOSE_GOING_AWAY, 'server shutting down');
  }

  terminate(): void {
    this.ws.terminate();
  }

  async send(frame: string, signal: AbortSignal): Promise<void> {
    if (!this.open) return;
    this.ws.send(frame);
    await this.room(signal);
  }

  /** Resolves once the send buffer is back under `maxBufferedBytes` (or the socket or `signal` ended). */
  private async room(signal?: AbortSignal): Promise<void> {
    const max = this.deps.options.maxBufferedBytes;
    while (this.ws.bufferedAmount > max && this.open && !signal?.aborted) await sleep(ROOM_POLL_MS);
  }

  /**
   * Errors answer frames one for one, so a client that floods the socket without reading would grow
   * the send buffer without bound: reading from it pauses until the buffer is back under its bound.
   */
  private sendError(id: string | null, error: GatewayError, requestId?: string): void {
    if (!this.open) return;
    this.ws.send(errorFrame(id, error, requestId));
    if (this.readsPaused || this.ws.bufferedAmount <= this.deps.options.maxBufferedBytes) return;
    this.readsPaused = true;
    this.ws.pause();
    void this.room().then(() => {
      this.readsPaused = false;
      if (this.open) this.ws.resume();
    });
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) {
      this.sendError(
        null,
        new GatewayError('invalid_request_error', 'Binary frames are not supported: send JSON text frames.'),
      );
      return;
    }
    const max = this.deps.options.maxMessageBytes;
    if (frameBytes(data) > max) {
      this.sendError(
        null,
        new GatewayError('request_too_large', `The frame exceeds the limit of ${max} bytes.`),
      );
      return;
    }
    const parsed = parseClientFrame(frameText(data));
    if (!parsed.ok) {
      this.sendError(parsed.id, parsed.error);
      return;
    }
    const frame = parsed.frame;
    switch (frame.type) {
      case 'chat.cancel':
        this.cancel(frame.id);
        break;
      case 'chat.request':
        this.accept(frame.id, frame.body);
        break;
    }
  }

  /** Unknown ids are ignored: the request may have just finished. */
  private cancel(id: string): void {
    const handle = this.byId.get(id);
    if (!handle) return;
    this.byId.delete(id);
    handle.cancelled = true;
    handle.controller.abort(new Error('cancelled by the client'));
  }

  private accept(id: string, body: ChatCompletionRequestDto): void {
    if (this.draining || this.deps.shutdown.draining) {
      this.sendError(
        id,
        new GatewayError('service_unavailable', 'The server is shutting down; retry on another instance.'),
      );
      return;
    }
    if (this.byId.has(id)) {
      this.sendError(
        id,
        new GatewayError('invalid_request_error', `A request with id '${id}' is already in flight.`, {
          param: 'id',
        }),
      );
      return;
    }
    const max = this.deps.options.maxRequestsPerSocket;
    if (this.byId.size >= max) {
      this.sendError(
        id,
        new GatewayError('rate_limit_exceeded', `At most ${max} requests may be in flight on one socket.`),
      );
      return;
    }
    const handle: RequestHandle = {
      id,
      requestId: randomUUID(),
      controller: new AbortController(),
      cancelled: false,
    };
    this.byId.set(id, handle);
    this.running.add(handle);
    const untrack = this.deps.shutdown.track(handle.controller);
    void this.run(handle, body).finally(() => {
      untrack();
      this.running.delete(handle);
      if (this.byId.get(id) === handle) this.byId.delete(id);
      this.closeIfIdle();
    });
  }

  /** The REST flow, streamed: rate limit, resolve, cache, reserve, upstream, account, store. */
  private async run(handle: RequestHandle, body: ChatCompletionRequestDto): Promise<void> {
    const signal = handle.controller.signal;
    try {
      // Counted now; the verdict is awaited with the token reservation (or before stored state or a cached answer).
      const counted = await this.deps.rate.begin(this.principal);
      // Over a socket every answer streams; `stream` only decides how the call is recorded.
      const dto = { ...body, stream: true };
      const caller = { principal: this.principal, requestId: handle.requestId };
      const call = await this.deps.flow.open(dto, caller, undefined, counted);
      if (handle.cancelled) return;
      const sink = new WsChatSink(this, handle, call.cacheOutcome);
      const answer = call.fromCache();
      if (answer) {
        await call.replay(sink, answer);
        return;
      }
      await call.start(counted);
      await call.stream(sink, signal);
    } catch (err) {
      if (handle.cancelled) return;
      const error = toGatewayError(err);
      if (error.code === 'internal_error')
        this.deps.log.error({ err, reqId: handle.requestId }, 'websocket chat request failed');
      this.sendError(handle.id, error, handle.requestId);
    }
  }

  /** The socket went away (or is being closed): every running request stops, silently. */
  private abortAll(): void {
    this.byId.clear();
    for (const handle of this.running) {
      handle.cancelled = true;
      handle.controller.abort(new Error('client disconnected'));
    }
  }

  private closeIfIdle(): void {
    if (this.draining && this.running.size === 0 && this.ws.readyState === WebSocket.OPEN) {
      this.ws.close(CLOSE_GOING_AWAY, 'server shutting down');
    }
  }
}
