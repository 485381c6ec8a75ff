import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { toErrorResponse, toGatewayError } from '../common/errors/error-envelope.js';
import type { CallRecord } from './call-ledger.js';
import { type CachedAnswer, replayChunks, StreamedAnswer } from './chat-cache.js';
import type { ChatStreamPart, Usage } from './core/chat.types.js';
import { OpenAiSseEncoder } from './openai-sse.encoder.js';
import { writeSse } from './sse-writer.js';

/** About four characters per token: only for streams that ended without the upstream's usage. */
function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

function estimatedUsage(record: CallRecord, chars: number): Usage {
  const completionTokens = estimateTokens(chars);
  return {
    promptTokens: record.promptTokens,
    completionTokens,
    totalTokens: record.promptTokens + completionTokens,
  };
}

/** Settings the upstream cannot honour, reported instead of failing the request. */
export function warningsHeader(warnings: readonly string[]): string {
  return warnings.map((w) => w.replace(/[^\x20-\x7e]/g, '?')).join('; ');
}

export interface SseTarget {
  request: FastifyRequest;
  reply: FastifyReply;
  /** The model as the client named it. */
  model: string;
  includeUsage: boolean;
}

/** Takes the response over from Fastify and sends the SSE headers (the gateway's headers included). */
function openSse(t: SseTarget, id: string, warnings: readonly string[]): OpenAiSseEncoder {
  t.reply.hijack();
  if (warnings.length > 0) void t.reply.header('x-gateway-warnings', warningsHeader(warnings));
  const raw = t.reply.raw;
  raw.socket?.setNoDelay(true);
  raw.writeHead(200, {
    ...(t.reply.getHeaders() as Record<string, string>),
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
  });
  return new OpenAiSseEncoder(id, t.model, Math.floor(Date.now() / 1000), t.includeUsage);
}

/** A cached answer as a real stream: role, the text in several deltas, tool calls, finish, [DONE]. */
export async function replayAnswer(t: SseTarget, answer: CachedAnswer): Promise<void> {
  const encoder = openSse(t, `chatcmpl-${t.request.id}`, []);
  const raw = t.reply.raw;
  try {
    await writeSse(raw, encoder.role());
    if (answer.content)
      for (const chunk of replayChunks(answer.content)) await writeSse(raw, encoder.text(chunk));
    for (const [index, tc] of (answer.toolCalls ?? []).entries()) {
      await writeSse(raw, encoder.toolCall(index, tc.id, tc.function.name, tc.function.arguments));
    }
    await writeSse(raw, encoder.finish(answer.finishReason, answer.usage, answer.usage.promptTokens));
  } catch {
    // The client went away; nothing upstream to stop.
  } finally {
    if (!raw.writableEnded) raw.end();
  }
}

/**
 * Relays upstream stream parts as OpenAI SSE chunks with backpressure, accounts the call, and returns
 * the complete answer when (and only when) the stream finished cleanly and reached the client.
 */
export async function relayStream(
  t: SseTarget,
  first: IteratorResult<ChatStreamPart>,
  parts: AsyncIterator<ChatStreamPart>,
  record: CallRecord,
  log: Logger,
): Promise<CachedAnswer | undefined> {
  const start = !first.done && first.value.type === 'start' ? first.value : undefined;
  const encoder = openSse(t, start?.id ?? `chatcmpl-${t.request.id}`, start?.warnings ?? []);
  const raw = t.reply.raw;
  const answer = new StreamedAnswer();
  // Characters streamed, for an estimate of the completion tokens when no usage arrives.
  let streamedChars = 0;
  let usage: Usage | undefined;
  let finished = false;
  try {
    await writeSse(raw, encoder.role());
    let next = start ? await parts.next() : first;
    while (!next.done) {
      const part = next.value;
      switch (part.type) {
        case 'start':
          break;
        case 'text-delta':
          record.firstToken();
          streamedChars += part.text.length;
          answer.addText(part.text);
          await writeSse(raw, encoder.text(part.text));
          break;
        case 'tool-call-delta':
          record.firstToken();
          streamedChars += part.argumentsDelta.length;
          answer.toolDelta(part.index, part.id, part.name, part.argumentsDelta);
          await writeSse(raw, encoder.toolCall(part.index, part.id, part.name, part.argumentsDelta));
          break;
        case 'finish':
          usage = part.usage;
          finished = true;
          answer.finished(part.finishReason, part.usage);
          await writeSse(raw, encoder.finish(part.finishReason, part.usage));
          break;
      }
      next = await parts.next();
    }
    if (raw.destroyed) {
      record.clientClosed(estimateTokens(streamedChars));
      return undefined;
    }
    record.succeed(usage ?? estimatedUsage(record, streamedChars));
    return answer.complete(start?.model ?? t.model);
  } catch (err) {
    // The answer (and its [DONE]) was complete; only the upstream's end of the body misbehaved.
    if (finished && !raw.destroyed) {
      record.succeed(usage ?? estimatedUsage(record, streamedChars));
      return answer.complete(start?.model ?? t.model);
    }
    const error = toGatewayError(err);
    if (raw.destroyed) {
      record.clientClosed(estimateTokens(streamedChars));
      return undefined;
    }
    record.fail(error, estimateTokens(streamedChars));
    log.warn(
      {
        reqId: t.request.id,
        code: error.code,
        provider: error.provider,
        upstreamRequestId: error.upstreamRequestId,
      },
      'stream ended with an error',
    );
    raw.write(OpenAiSseEncoder.error(toErrorResponse(error, t.request.id).body));
    return undefined;
  } finally {
    await parts.return?.();
    if (!raw.writableEnded) raw.end();
  }
}
