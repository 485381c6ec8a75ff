import type { CacheOutcome } from '../../cache/response-cache.service.js';
import type { GatewayError } from '../../common/errors/gateway-error.js';
import type { ChatSink, StreamFinish } from '../chat-relay.js';
import { deltaFrame, doneFrame, errorFrame, toolCallFrame } from './chat-frame.protocol.js';

/** The side of a socket a request writes through (see ChatSocket). */
export interface FrameChannel {
  readonly open: boolean;
  /** Sends `frame` and resolves once the socket's buffer is back under its bound (or `signal` aborts). */
  send(frame: string, signal: AbortSignal): Promise<void>;
}

/** Per-request state shared with the socket: cancelled requests get no further frames. */
export interface RequestHandle {
  readonly id: string;
  readonly requestId: string;
  readonly controller: AbortController;
  cancelled: boolean;
}

/** One request's streamed answer as `chat.delta` frames and a `chat.done` or `chat.error`. */
export class WsChatSink implements ChatSink {
  constructor(
    private readonly channel: FrameChannel,
    private readonly request: RequestHandle,
    private readonly cache: CacheOutcome,
  ) {}

  get gone(): boolean {
    return this.request.cancelled || !this.channel.open;
  }

  /** Nothing to announce: the first delta starts the answer. */
  async open(): Promise<void> {
    this.assertHere();
  }

  text(delta: string): Promise<void> {
    return this.write(deltaFrame(this.request.id, delta));
  }

  toolCall(
    index: number,
    id: string | undefined,
    name: string | undefined,
    argumentsDelta: string,
  ): Promise<void> {
    return this.write(toolCallFrame(this.request.id, { index, id, name, argumentsDelta }));
  }

  finish(f: StreamFinish): Promise<void> {
    return this.write(doneFrame(this.request.id, f.finishReason, f.usage ?? f.accounted, this.cache));
  }

  async fail(error: GatewayError): Promise<void> {
    if (this.gone) return;
    await this.channel.send(
      errorFrame(this.request.id, error, this.request.requestId),
      this.request.controller.signal,
    );
  }

  close(): void {
    // The socket outlives the request.
  }

  private async write(frame: string): Promise<void> {
    this.assertHere();
    await this.channel.send(frame, this.request.controller.signal);
    this.assertHere();
  }

  /** Like a destroyed SSE response: writing for a client that is gone fails, so the relay stops. */
  private assertHere(): void {
    if (this.gone) throw new Error('client disconnected or cancelled');
  }
}
