import type { FakeFinishReason, ResolvedReply } from './fake-types.js';
import { argumentFragments, argumentsObject } from './reply.js';
import type { StreamFrame } from './wire-format.js';

export interface MessageMeta {
  id: string;
  model: string;
}

const STOP_REASONS: Record<FakeFinishReason, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
};

export function stopReasonOf(reason: FakeFinishReason): string {
  return STOP_REASONS[reason];
}

function startUsage(inputTokens: number, outputTokens: number): Record<string, unknown> {
  return {
    input_tokens: inputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

/** Content blocks in final order: a text block (unless the reply is only tool calls), then tool_use blocks. */
function contentBlocks(reply: ResolvedReply): Array<Record<string, unknown>> {
  const blocks: Array<Record<string, unknown>> = [];
  if (reply.text !== '' || reply.toolCalls.length === 0) blocks.push({ type: 'text', text: reply.text });
  for (const call of reply.toolCalls) {
    blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: argumentsObject(call.arguments) });
  }
  return blocks;
}

/** A non-streaming `message` object. */
export function messageObject(meta: MessageMeta, reply: ResolvedReply): Record<string, unknown> {
  return {
    model: meta.model,
    id: meta.id,
    type: 'message',
    role: 'assistant',
    content: contentBlocks(reply),
    stop_reason: stopReasonOf(reply.finishReason),
    stop_sequence: null,
    usage: startUsage(reply.usage.promptTokens, Math.max(1, reply.usage.completionTokens)),
  };
}

function event(type: string, body: Record<string, unknown>): StreamFrame {
  return { event: type, data: JSON.stringify({ type, ...body }) };
}

/** Anthropic's own ping payload has spaces after the colon. */
export const PING_FRAME: StreamFrame = { event: 'ping', data: '{"type": "ping"}' };

export const OVERLOADED_FRAME: StreamFrame = {
  event: 'error',
  data: '{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}',
};

export const UNKNOWN_EVENT_FRAME: StreamFrame = { event: 'future_thing', data: '{"type":"future_thing"}' };

/**
 * message_start → per block: content_block_start, (ping after the first), deltas, content_block_stop
 * → message_delta (stop reason, cumulative usage) → message_stop.
 */
export function messageStreamFrames(
  meta: MessageMeta,
  reply: ResolvedReply,
  unknownEvent = false,
): StreamFrame[] {
  const input = reply.usage.promptTokens;
  const frames: StreamFrame[] = [
    event('message_start', {
      message: {
        model: meta.model,
        id: meta.id,
        type: 'message',
        role: 'assistant',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: startUsage(input, 1),
      },
    }),
  ];
  if (unknownEvent) frames.push(UNKNOWN_EVENT_FRAME);
  let index = 0;
  if (reply.text !== '' || reply.toolCalls.length === 0) {
    frames.push(
      event('content_block_start', { index, content_block: { type: 'text', text: '' } }),
      PING_FRAME,
    );
    for (const text of reply.chunks) {
      frames.push(event('content_block_delta', { index, delta: { type: 'text_delta', text } }));
    }
    frames.push(event('content_block_stop', { index }));
    index++;
  }
  for (const call of reply.toolCalls) {
    frames.push(
      event('content_block_start', {
        index,
        content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} },
      }),
    );
    if (index === 0) frames.push(PING_FRAME);
    const fragments = call.arguments === '' ? [''] : argumentFragments(call.arguments);
    for (const partial_json of fragments) {
      frames.push(event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } }));
    }
    frames.push(event('content_block_stop', { index }));
    index++;
  }
  frames.push(
    event('message_delta', {
      delta: { stop_reason: stopReasonOf(reply.finishReason), stop_sequence: null },
      usage: {
        input_tokens: input,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: Math.max(1, reply.usage.completionTokens),
      },
    }),
    event('message_stop', {}),
  );
  return frames;
}

/** Display name for a model id, e.g. `claude-sonnet-4-5-20250929` → `Claude Sonnet 4.5`. */
export function displayName(id: string): string {
  const words = id.replace(/-\d{8}$/, '').split('-');
  const parts: string[] = [];
  for (const word of words) {
    const previous = parts[parts.length - 1];
    if (/^\d+$/.test(word) && previous !== undefined && /^\d+(\.\d+)*$/.test(previous))
      parts[parts.length - 1] = `${previous}.${word}`;
    else parts.push(/^\d/.test(word) ? word : word.charAt(0).toUpperCase() + word.slice(1));
  }
  return parts.join(' ');
}
