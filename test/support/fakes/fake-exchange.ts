import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FakeFault, RecordedRequest } from './fake-types.js';
import { brokenFrame, encodeFrame, splitPieces, type StreamFormat, type StreamFrame } from './wire-format.js';

export interface StreamSpec {
  format: StreamFormat;
  contentType: string;
  headers?: Record<string, string>;
  frames: StreamFrame[];
  /** The provider's mid-stream error; undefined means the stream just ends unterminated. */
  errorFrame?: StreamFrame;
  /** Written between frames when `keepAliveBetweenChunks` is set. */
  keepAliveFrame?: StreamFrame;
}

/** Resolves true after `ms`, or false as soon as the signal aborts. */
export async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return false;
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

export async function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return;
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** One request/response pair; every write goes through here so the active fault is applied. */
export class FakeExchange {
  constructor(
    readonly request: RecordedRequest,
    private readonly res: ServerResponse,
    readonly fault: FakeFault,
    readonly signal: AbortSignal,
    private readonly baseHeaders: Record<string, string>,
  ) {}

  /** The JSON body, or an empty object when there is none. */
  get body(): Record<string, unknown> {
    return this.request.body ?? {};
  }

  async json(status: number, body: string | object, headers: Record<string, string> = {}): Promise<void> {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    await this.send(status, text, { 'content-type': 'application/json', ...headers });
  }

  async text(status: number, text: string, contentType = 'text/plain; charset=utf-8'): Promise<void> {
    await this.send(status, text, { 'content-type': contentType });
  }

  /** A fixed-length body, to which the byte-level faults also apply. */
  async send(status: number, text: string, headers: Record<string, string>): Promise<void> {
    const fault = this.fault;
    let payload = Buffer.from(text, 'utf8');
    if (fault.malformedChunkAt === 0) payload = Buffer.from(brokenFrame({ data: text }).data, 'utf8');
    const all = this.headersWith({ ...headers, 'content-length': String(payload.length) });
    if (fault.hangAfterHeaders) {
      await this.hang(status, all);
      return;
    }
    this.res.writeHead(status, all);
    if (fault.cutAfterChunks !== undefined) {
      await this.write(payload.subarray(0, Math.floor(payload.length / 2)));
      this.destroy();
      return;
    }
    if (fault.splitAtOddBytes || fault.bytewise) {
      await this.writePieces(payload);
    } else {
      await this.write(payload);
    }
    this.res.end();
  }

  async stream(spec: StreamSpec): Promise<void> {
    const headers = this.headersWith({ 'content-type': spec.contentType, ...spec.headers });
    if (this.fault.hangAfterHeaders) {
      await this.hang(200, headers);
      return;
    }
    this.res.writeHead(200, headers);
    this.res.flushHeaders();
    const frames = this.plan(spec);
    const cut = this.fault.cutAfterChunks;
    const crlf = this.fault.useCrlf === true;
    const encoded = frames.slice(0, cut ?? frames.length).map((f) => encodeFrame(f, spec.format, crlf));
    if (this.fault.coalesce) {
      await this.write(Buffer.concat(encoded));
    } else {
      for (const [i, bytes] of encoded.entries()) {
        if (i > 0 && this.fault.chunkDelayMs && !(await pause(this.fault.chunkDelayMs, this.signal))) return;
        if (this.fault.splitAtOddBytes || this.fault.bytewise) await this.writePieces(bytes);
        else await this.write(bytes);
        if (this.signal.aborted) return;
      }
    }
    if (cut !== undefined && cut < frames.length) this.destroy();
    else this.res.end();
  }

  /** Frames in wire order after the error, malformed and keep-alive faults are applied. */
  private plan(spec: StreamSpec): StreamFrame[] {
    let frames = [...spec.frames];
    const errorAt = this.fault.errorAfterChunks;
    if (errorAt !== undefined) {
      frames = frames.slice(0, errorAt);
      if (spec.errorFrame) frames.push(spec.errorFrame);
    }
    const malformedAt = this.fault.malformedChunkAt;
    if (malformedAt !== undefined) {
      frames.splice(malformedAt, 0, brokenFrame(frames[malformedAt] ?? frames[frames.length - 1]));
    }
    const keepAlive = spec.keepAliveFrame;
    if (this.fault.keepAliveBetweenChunks && keepAlive) {
      frames = frames.flatMap((f, i) => (i === 0 ? [f] : [keepAlive, f]));
    }
    return frames;
  }

  private headersWith(headers: Record<string, string>): Record<string, string> {
    return { ...this.baseHeaders, ...headers, ...this.fault.headers };
  }

  private async hang(status: number, headers: Record<string, string>): Promise<void> {
    const { 'content-length': _ignored, ...rest } = headers;
    this.res.writeHead(status, rest);
    this.res.flushHeaders();
    await untilAborted(this.signal);
  }

  private async writePieces(bytes: Buffer): Promise<void> {
    for (const piece of splitPieces(bytes, this.fault.bytewise === true)) {
      await this.write(piece);
      if (!(await pause(1, this.signal))) return;
    }
  }

  /** Resolves once the bytes reached the socket, or when the exchange is aborted. */
  private async write(bytes: Buffer): Promise<void> {
    if (this.signal.aborted || this.res.destroyed) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.signal.removeEventListener('abort', done);
        resolve();
      };
      this.signal.addEventListener('abort', done, { once: true });
      this.res.write(bytes, () => done());
    });
  }

  private destroy(): void {
    this.res.socket?.destroy();
    this.res.destroy();
  }
}
