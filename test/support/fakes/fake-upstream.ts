import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { FakeExchange, pause } from './fake-exchange.js';
import type {
  CannedResponse,
  ChatTurn,
  FakeFault,
  FakeReply,
  FakeUpstreamOptions,
  RecordedRequest,
  ResolvedReply,
} from './fake-types.js';
import { resolveReply } from './reply.js';

export interface FakeRoute {
  method: 'GET' | 'POST';
  /** Exact pathname, or a pattern tested against the pathname. */
  path: string | RegExp;
  handle: (exchange: FakeExchange) => Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 that records requests, answers with scripted replies and
 * misbehaves on demand. Subclasses speak one provider's wire protocol.
 */
export abstract class FakeUpstream {
  readonly requests: RecordedRequest[] = [];
  /** TCP connections accepted since start (or the last `reset()`). */
  socketsOpened = 0;
  /** Requests whose response has not finished or closed yet. */
  activeRequests = 0;
  /** `socket.bytesWritten` of connections already closed, and the total at the last `reset()`. */
  private closedSocketBytes = 0;
  private bytesAtReset = 0;
  latencyMs: number;
  protected readonly options: FakeUpstreamOptions;

  private server: Server | undefined;
  private port: number;
  private readonly sockets = new Set<Socket>();
  private lifetime = new AbortController();
  private faults: FakeFault[] = [];
  private defaultBehaviour: FakeFault | undefined;
  private replies: FakeReply[] = [];
  private reply: FakeReply | undefined;
  private routeTable: FakeRoute[] | undefined;

  constructor(options: FakeUpstreamOptions = {}) {
    this.options = options;
    this.latencyMs = options.latencyMs ?? 0;
    this.port = options.port ?? 0;
  }

  /** Creates and starts a fake: `const openai = await OpenAiFake.start({ apiKey: 'sk-test' })`. */
  static async start<T extends FakeUpstream, O>(this: new (options?: O) => T, options?: O): Promise<T> {
    const fake = new this(options);
    await fake.start();
    return fake;
  }

  /** Listens on 127.0.0.1; a restarted fake keeps its previous port, so `url` stays valid. */
  async start(): Promise<void> {
    if (this.server) return;
    this.lifetime = new AbortController();
    const server = createServer({ keepAlive: true }, (req, res) => {
      this.handle(req, res).catch(() => res.destroy());
    });
    server.on('connection', (socket: Socket) => {
      this.socketsOpened++;
      this.sockets.add(socket);
      socket.on('close', () => {
        this.closedSocketBytes += socket.bytesWritten;
        this.sockets.delete(socket);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Closes the listener and destroys every socket, ending hung and delayed responses. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.lifetime.abort();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  get url(): string {
    if (!this.server) throw new Error(`${this.constructor.name} is not started`);
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * Bytes handed to client sockets (status lines, headers and bodies) since start or the last
   * `reset()`. Writes wait for the socket, so a reader applying backpressure keeps this still.
   */
  get bytesWritten(): number {
    return this.totalBytesWritten() - this.bytesAtReset;
  }

  get lastRequest(): RecordedRequest | undefined {
    return this.requests[this.requests.length - 1];
  }

  requestsTo(pathname: string): RecordedRequest[] {
    return this.requests.filter((r) => r.pathname === pathname);
  }

  /** Clears recorded requests, faults, scripted replies and counters, and restores `latencyMs`. */
  reset(): void {
    this.requests.length = 0;
    this.faults = [];
    this.defaultBehaviour = undefined;
    this.replies = [];
    this.reply = undefined;
    this.socketsOpened = 0;
    this.bytesAtReset = this.totalBytesWritten();
    this.latencyMs = this.options.latencyMs ?? 0;
  }

  private totalBytesWritten(): number {
    let open = 0;
    for (const socket of this.sockets) open += socket.bytesWritten;
    return this.closedSocketBytes + open;
  }

  /** Applies to the next request whose pathname matches `fault.path` (any request when unset). */
  enqueueFault(fault: FakeFault): void {
    this.faults.push(fault);
  }

  /** Applies to every request (queued faults override its fields); `undefined` clears it. */
  setDefaultBehaviour(behaviour: FakeFault | undefined): void {
    this.defaultBehaviour = behaviour;
  }

  /** The reply for every following chat request until `reset()`. */
  setReply(reply: FakeReply | undefined): void {
    this.reply = reply;
  }

  /** A reply for the next chat request only; queued replies are used before `setReply`'s. */
  enqueueReply(reply: FakeReply): void {
    this.replies.push(reply);
  }

  protected abstract routes(): FakeRoute[];

  /** The provider's error body and headers for a status, used when a fault sets only `status`. */
  protected abstract errorFor(status: number, request: RecordedRequest): CannedResponse;

  protected abstract notFound(request: RecordedRequest): CannedResponse;

  /** A rejection when credentials are missing or wrong; undefined lets the request through. */
  protected authorize(_request: RecordedRequest): CannedResponse | undefined {
    return undefined;
  }

  /** Headers on every response (request ids, rate limits). */
  protected commonHeaders(_request: RecordedRequest): Record<string, string> {
    return {};
  }

  protected abstract newToolCallId(): string;

  /** The next scripted (or default echo) reply. */
  protected nextReply(turns: ChatTurn[], maxTokens?: number): ResolvedReply {
    const scripted = this.replies.shift() ?? this.reply;
    return resolveReply(scripted, { turns, maxTokens, newToolCallId: () => this.newToolCallId() });
  }

  /** Models served by the list endpoints (each provider has its own defaults). */
  get models(): string[] {
    return this.options.models ?? [];
  }

  protected isKnownModel(model: string): boolean {
    return !this.options.rejectUnknownModels || this.models.includes(model);
  }

  protected async respond(exchange: FakeExchange, canned: CannedResponse): Promise<void> {
    await exchange.json(canned.status, canned.body, canned.headers);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.activeRequests++;
    const aborted = new AbortController();
    res.on('close', () => {
      this.activeRequests--;
      aborted.abort();
    });
    const signal = AbortSignal.any([aborted.signal, this.lifetime.signal]);
    const request = await this.record(req);
    if (!request) return;
    const fault = this.takeFault(request.pathname);
    if (fault.resetConnection) {
      req.socket.resetAndDestroy();
      return;
    }
    const wait = this.latencyMs + (fault.delayBeforeHeadersMs ?? 0);
    if (wait > 0 && !(await pause(wait, signal))) return;
    const exchange = new FakeExchange(request, res, fault, signal, this.commonHeaders(request));
    if (fault.body !== undefined || (fault.status !== undefined && fault.status >= 400)) {
      await this.respondCanned(exchange, fault);
      return;
    }
    const route = this.routeFor(req.method ?? 'GET', request.pathname);
    if (!route) {
      await this.respond(exchange, this.notFound(request));
      return;
    }
    const denied = this.authorize(request);
    if (denied) {
      await this.respond(exchange, denied);
      return;
    }
    await route.handle(exchange);
  }

  private async respondCanned(exchange: FakeExchange, fault: FakeFault): Promise<void> {
    const status = fault.status ?? 200;
    const fallback =
      status >= 400 && fault.body === undefined ? this.errorFor(status, exchange.request) : undefined;
    await exchange.json(status, fault.body ?? fallback?.body ?? '', fallback?.headers ?? {});
  }

  private async record(req: IncomingMessage): Promise<RecordedRequest | undefined> {
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      return undefined;
    }
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname + url.search,
      pathname: url.pathname,
      query: url.searchParams,
      headers,
      rawBody,
      body: parseObject(rawBody),
      receivedAt: Date.now(),
    };
    this.requests.push(request);
    return request;
  }

  private takeFault(pathname: string): FakeFault {
    const matches = (f: FakeFault | undefined): f is FakeFault =>
      !!f && (f.path === undefined || f.path === pathname);
    const index = this.faults.findIndex(matches);
    const queued = index >= 0 ? this.faults.splice(index, 1)[0] : undefined;
    const fallback = matches(this.defaultBehaviour) ? this.defaultBehaviour : undefined;
    return { ...fallback, ...queued };
  }

  private routeFor(method: string, pathname: string): FakeRoute | undefined {
    this.routeTable ??= this.routes();
    return this.routeTable.find(
      (r) =>
        r.method === method && (typeof r.path === 'string' ? r.path === pathname : r.path.test(pathname)),
    );
  }
}

function parseObject(text: string): Record<string, unknown> | undefined {
  if (text.length === 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
