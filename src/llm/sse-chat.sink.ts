import type { FastifyReply, FastifyRequest } from 'fastify';
import { toErrorResponse } from '../common/errors/error-envelope.js';
import type { GatewayError } from '../common/errors/gateway-error.js';
import type { ServedBy } from './chat.service.js';
import type { ChatSink, StreamFinish, StreamOpening } from './chat-relay.js';
import { OpenAiSseEncoder } from './openai-sse.encoder.js';
import { writeSse } from './sse-writer.js';

/** Settings the upstream cannot honour, reported instead of failing the request. */
export function warningsHeader(warnings: readonly string[]): string {
  return warnings.map((w) => w.replace(/[^\x20-\x7e]/g, '?')).join('; ');
}

/** `x-gateway-provider` and `x-gateway-target`: who answers. */
export function servedByHeaders(reply: FastifyReply, servedBy: ServedBy): void {
  void reply.header('x-gateway-provider', servedBy.provider).header('x-gateway-target', servedBy.target);
}

export interface SseTarget {
  request: FastifyRequest;
  reply: FastifyReply;
  /** The model as the client named it. */
  model: string;
  includeUsage: boolean;
}

/** A streamed answer as OpenAI `chat.completion.chunk` SSE events ending in `data: [DONE]`. */
export class SseChatSink implements ChatSink {
  private encoder?: OpenAiSseEncoder;

  constructor(private readonly t: SseTarget) {}

  get gone(): boolean {
    return this.t.reply.raw.destroyed;
  }

  /** Takes the response over from Fastify and sends the SSE headers (the gateway's headers included). */
  async open(o: StreamOpening): Promise<void> {
    const { reply, request } = this.t;
    reply.hijack();
    servedByHeaders(reply, o.servedBy);
    if (o.warnings.length > 0) void reply.header('x-gateway-warnings', warningsHeader(o.warnings));
    const raw = reply.raw;
    raw.socket?.setNoDelay(true);
    raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
    const id = o.id ?? `chatcmpl-${request.id}`;
    this.encoder = new OpenAiSseEncoder(id, this.t.model, Math.floor(Date.now() / 1000), this.t.includeUsage);
    await writeSse(raw, this.encoder.role());
  }

  text(delta: string): Promise<void> {
    return writeSse(this.t.reply.raw, this.opened().text(delta));
  }

  toolCall(index: number, id: string | undefined, name: string | undefined, args: string): Promise<void> {
    return writeSse(this.t.reply.raw, this.opened().toolCall(index, id, name, args));
  }

  finish(f: StreamFinish): Promise<void> {
    return writeSse(this.t.reply.raw, this.opened().finish(f.finishReason, f.usage, f.cachedTokens));
  }

  async fail(error: GatewayError): Promise<void> {
    const raw = this.t.reply.raw;
    if (!this.encoder || raw.destroyed) return;
    raw.write(OpenAiSseEncoder.error(toErrorResponse(error, this.t.request.id).body));
  }

  close(): void {
    const raw = this.t.reply.raw;
    if (!raw.writableEnded) raw.end();
  }

  private opened(): OpenAiSseEncoder {
    if (!this.encoder) throw new Error('SSE stream written before it was opened');
    return this.encoder;
  }
}
