import { WebSocket, type ClientOptions } from 'ws';

/** A server frame as `/ws/chat` sends it (CONTRACT §7). */
export interface ServerFrame {
  type: 'chat.delta' | 'chat.done' | 'chat.error';
  id: string | null;
  delta?: string;
  tool_calls?: Array<{
    index: number;
    id?: string;
    type?: string;
    function: { name?: string; arguments: string };
  }>;
  finish_reason?: string;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  cache?: string;
  error?: { type: string; code: string; message: string; param?: string; retry_after?: number };
}

/** Everything one request id received, up to and including its terminal frame. */
export interface Outcome {
  text: string;
  deltas: ServerFrame[];
  done?: ServerFrame;
  error?: ServerFrame;
}

export interface Refusal {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export function wsUrl(baseUrl: string, query = ''): string {
  return `${baseUrl.replace(/^http/, 'ws')}/ws/chat${query}`;
}

/** A `ws` client that records every frame and waits for frames by predicate. */
export class ChatWsClient {
  readonly frames: ServerFrame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: Array<() => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.frames.push(JSON.parse(data.toString('utf8')) as ServerFrame);
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        resolve({ code, reason: reason.toString('utf8') });
        this.wake();
      });
    });
  }

  static connect(url: string, options: ClientOptions = {}): Promise<ChatWsClient> {
    const ws = new WebSocket(url, options);
    const client = new ChatWsClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => {
        res.resume();
        reject(new Error(`upgrade refused with ${res.statusCode}`));
      });
      ws.once('error', reject);
    });
  }

  /** Attempts an upgrade that must be refused; resolves with the HTTP answer. */
  static refusal(url: string, options: ClientOptions = {}): Promise<Refusal> {
    const ws = new WebSocket(url, options);
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        ws.close();
        reject(new Error('upgrade was accepted'));
      });
      ws.once('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) as unknown });
          ws.terminate();
        });
      });
      ws.once('error', () => undefined);
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(frame: unknown): void {
    this.ws.send(JSON.stringify(frame));
  }

  request(id: string, body: Record<string, unknown>): void {
    this.send({ type: 'chat.request', id, body });
  }

  cancel(id: string): void {
    this.send({ type: 'chat.cancel', id });
  }

  framesFor(id: string | null): ServerFrame[] {
    return this.frames.filter((f) => f.id === id);
  }

  /** Waits until `predicate` holds over the frames received so far. */
  async until(predicate: (frames: ServerFrame[]) => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.frames)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms (got ${this.frames.length})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The frame that ends request `id` (chat.done or chat.error) and everything before it. */
  async outcome(id: string, timeoutMs = 5000): Promise<Outcome> {
    const terminal = (f: ServerFrame): boolean => f.id === id && f.type !== 'chat.delta';
    await this.until((frames) => frames.some(terminal), timeoutMs);
    const mine = this.framesFor(id);
    const deltas = mine.filter((f) => f.type === 'chat.delta');
    return {
      text: deltas.map((f) => f.delta ?? '').join(''),
      deltas,
      done: mine.find((f) => f.type === 'chat.done'),
      error: mine.find((f) => f.type === 'chat.error'),
    };
  }

  /** The next error frame for `id` (null: frames the server could not attribute). */
  async errorFor(id: string | null, after = 0, timeoutMs = 5000): Promise<ServerFrame> {
    const match = (f: ServerFrame): boolean => f.type === 'chat.error' && f.id === id;
    await this.until((frames) => frames.slice(after).some(match), timeoutMs);
    return this.frames.slice(after).find(match) as ServerFrame;
  }

  close(): void {
    this.ws.close();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
