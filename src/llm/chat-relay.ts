import type { Logger } from 'pino';
import { toGatewayError } from '../common/errors/error-envelope.js';
import type { GatewayError } from '../common/errors/gateway-error.js';
import type { CallRecord } from './call-ledger.js';
import { type CachedAnswer, replayChunks, StreamedAnswer } from './chat-cache.js';
import type { ServedBy } from './chat.service.js';
import type { ChatStreamPart, FinishReason, Usage } from './core/chat.types.js';

/** What is known when a streamed answer starts. */
export interface StreamOpening {
  /** The upstream's completion id, when it sent one. */
  id?: string;
  /** Settings the upstream cannot honour. */
  warnings: readonly string[];
  /** The target that answers. */
  servedBy: ServedBy;
}

export interface StreamFinish {
  finishReason: FinishReason;
  /** As the upstream reported it; undefined when it sent none. */
  usage?: Usage;
  /** What the call is accounted at: the upstream's usage, or an estimate when it sent none. */
  accounted: Usage;
  /** Prompt tokens served from the gateway's cache (replays only). */
  cachedTokens?: number;
}

/**
 * Where a streamed answer goes: an SSE response, or one request id on a WebSocket. Every write
 * resolves once the edge can take more, so a slow client slows the upstream read down instead of
 * growing memory. Writes reject once the client is gone.
 */
export interface ChatSink {
  /** The client went away or withdrew the request: nothing more reaches it. */
  readonly gone: boolean;
  open(opening: StreamOpening): Promise<void>;
  text(delta: string): Promise<void>;
  toolCall(
    index: number,
    id: string | undefined,
    name: string | undefined,
    argumentsDelta: string,
  ): Promise<void>;
  finish(finish: StreamFinish): Promise<void>;
  /** The terminal error of a stream that had opened (before that, the caller's error path answers). */
  fail(error: GatewayError): Promise<void>;
  /** Called exactly once, last. */
  close(): void;
}

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

export interface RelaySource {
  first: IteratorResult<ChatStreamPart>;
  parts: AsyncIterator<ChatStreamPart>;
  record: CallRecord;
  servedBy: () => ServedBy;
  /** The model as the client named it (stored with the answer when the upstream names none). */
  model: string;
  requestId: string;
}

/**
 * Relays upstream stream parts into `sink`, one at a time (the next part is pulled only after the
 * sink took the last one), accounts the call, and returns the complete answer when (and only when)
 * the stream finished cleanly and reached the client.
 */
export async function relayParts(
  sink: ChatSink,
  src: RelaySource,
  log: Logger,
): Promise<CachedAnswer | undefined> {
  const { first, parts, record } = src;
  const start = !first.done && first.value.type === 'start' ? first.value : undefined;
  const answer = new StreamedAnswer();
  // Characters streamed, for an estimate of the completion tokens when no usage arrives.
  let streamedChars = 0;
  let usage: Usage | undefined;
  let finished = false;
  const complete = (): CachedAnswer | undefined => {
    record.succeed(usage ?? estimatedUsage(record, streamedChars));
    return answer.complete(start?.model ?? src.model);
  };
  try {
    await sink.open({ id: start?.id, warnings: start?.warnings ?? [], servedBy: src.servedBy() });
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
          await sink.text(part.text);
          break;
        case 'tool-call-delta':
          record.firstToken();
          streamedChars += part.argumentsDelta.length;
          answer.toolDelta(part.index, part.id, part.name, part.argumentsDelta);
          await sink.toolCall(part.index, part.id, part.name, part.argumentsDelta);
          break;
        case 'finish':
          usage = part.usage;
          finished = true;
          answer.finished(part.finishReason, part.usage);
          await sink.finish({
            finishReason: part.finishReason,
            usage: part.usage,
            accounted: part.usage ?? estimatedUsage(record, streamedChars),
          });
          break;
      }
      next = await parts.next();
    }
    if (sink.gone) {
      record.clientClosed(estimateTokens(streamedChars));
      return undefined;
    }
    return complete();
  } catch (err) {
    // The answer (and its terminal event) was complete; only the upstream's end of the body misbehaved.
    if (finished && !sink.gone) return complete();
    if (sink.gone) {
      record.clientClosed(estimateTokens(streamedChars));
      return undefined;
    }
    const error = toGatewayError(err);
    record.fail(error, estimateTokens(streamedChars));
    log.warn(
      {
        reqId: src.requestId,
        code: error.code,
        provider: error.provider,
        upstreamRequestId: error.upstreamRequestId,
      },
      'stream ended with an error',
    );
    await sink.fail(error).catch(() => undefined);
    return undefined;
  } finally {
    await parts.return?.();
    sink.close();
  }
}

/**
 * A cached answer as a real stream: the text in several deltas, tool calls, finish. Resolves to
 * whether the whole answer reached the client.
 */
export async function replayCached(
  sink: ChatSink,
  answer: CachedAnswer,
  servedBy: ServedBy,
): Promise<boolean> {
  try {
    await sink.open({ warnings: [], servedBy });
    if (answer.content) for (const chunk of replayChunks(answer.content)) await sink.text(chunk);
    for (const [index, tc] of (answer.toolCalls ?? []).entries()) {
      await sink.toolCall(index, tc.id, tc.function.name, tc.function.arguments);
    }
    await sink.finish({
      finishReason: answer.finishReason,
      usage: answer.usage,
      accounted: answer.usage,
      cachedTokens: answer.usage.promptTokens,
    });
    return !sink.gone;
  } catch {
    // The client went away; nothing upstream to stop.
    return false;
  } finally {
    sink.close();
  }
}
