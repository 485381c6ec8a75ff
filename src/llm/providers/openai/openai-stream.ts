import { GatewayError } from '../../../common/errors/gateway-error.js';
import type { SseEvent } from '../../../common/streaming/sse-parser.js';
import type { ChatStreamPart, FinishReason, Usage } from '../../core/chat.types.js';
import { toFinishReason, toUsage } from './openai.mapper.js';
import type { OpenAiChunk } from './openai.wire.js';

/**
 * OpenAI-style SSE events → stream parts. Tolerates the compatible servers' variants (usage on the
 * finish chunk, `choices: null`, an empty first chunk). A stream that ends without `[DONE]` and
 * without a finish reason was cut: that is an error, never a silent end.
 */
export async function* openAiStreamParts(
  events: AsyncIterable<SseEvent>,
  provider: string,
  upstreamRequestId: string | undefined,
  warnings: string[],
): AsyncGenerator<ChatStreamPart> {
  let started = false;
  let finishReason: FinishReason | undefined;
  let usage: Usage | undefined;
  let done = false;
  for await (const ev of events) {
    // After [DONE] the body is read to its end (a few bytes), so the pooled socket is released
    // cleanly instead of by destroying the body mid-read.
    if (done) continue;
    if (ev.data === '[DONE]') {
      done = true;
      yield { type: 'finish', finishReason: finishReason ?? 'stop', usage };
      continue;
    }
    let chunk: OpenAiChunk;
    try {
      chunk = JSON.parse(ev.data) as OpenAiChunk;
    } catch {
      throw new GatewayError('upstream_error', `The ${provider} upstream sent a malformed stream chunk.`, {
        provider,
        upstreamRequestId,
      });
    }
    if (chunk.error || ev.event === 'error') {
      const message = chunk.error?.message ? `: ${chunk.error.message}` : '';
      throw new GatewayError('upstream_error', `The ${provider} upstream failed mid-stream${message}`, {
        provider,
        upstreamRequestId,
      });
    }
    if (!started && (chunk.id || chunk.model)) {
      started = true;
      yield { type: 'start', id: chunk.id, model: chunk.model, upstreamRequestId, warnings };
    }
    usage = toUsage(chunk.usage) ?? usage;
    const choice = chunk.choices?.[0];
    if (!choice) continue;
    const delta = choice.delta;
    if (delta?.content) yield { type: 'text-delta', text: delta.content };
    for (const tc of delta?.tool_calls ?? []) {
      yield {
        type: 'tool-call-delta',
        index: tc.index,
        id: tc.id,
        name: tc.function?.name,
        argumentsDelta: tc.function?.arguments ?? '',
      };
    }
    if (choice.finish_reason) finishReason = toFinishReason(choice.finish_reason);
  }
  if (done) return;
  if (finishReason) {
    yield { type: 'finish', finishReason, usage };
    return;
  }
  throw new GatewayError('upstream_error', `The ${provider} upstream stream ended before completion.`, {
    provider,
    upstreamRequestId,
  });
}
