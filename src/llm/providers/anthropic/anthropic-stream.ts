import { GatewayError } from '../../../common/errors/gateway-error.js';
import type { SseEvent } from '../../../common/streaming/sse-parser.js';
import type { ChatStreamPart, Usage } from '../../core/chat.types.js';
import { promptTokensOf, toFinishReason, toUsage } from './anthropic.mapper.js';
import type { AnthropicStreamEvent } from './anthropic.wire.js';

const KNOWN_EVENTS = new Set([
  'message_start',
  'content_block_start',
  'content_block_delta',
  'content_block_stop',
  'message_delta',
  'message_stop',
  'ping',
  'error',
]);

interface ToolBlock {
  /** OpenAI-style index: the position among tool calls only, not among all content blocks. */
  index: number;
  argumentChars: number;
}

/** Running state of one streamed message. */
class MessageState {
  promptTokens = 0;
  completionTokens = 0;
  stopReason: string | null | undefined;
  private readonly tools = new Map<number, ToolBlock>();

  openTool(blockIndex: number): number {
    const index = this.tools.size;
    this.tools.set(blockIndex, { index, argumentChars: 0 });
    return index;
  }

  tool(blockIndex: number): ToolBlock | undefined {
    return this.tools.get(blockIndex);
  }

  usage(): Usage {
    return toUsage(this.promptTokens, this.completionTokens);
  }
}

function parse(ev: SseEvent, provider: string, upstreamRequestId: string | undefined): AnthropicStreamEvent {
  try {
    const parsed: unknown = JSON.parse(ev.data);
    if (parsed === null || typeof parsed !== 'object') throw new TypeError('not an object');
    return parsed as AnthropicStreamEvent;
  } catch {
    throw new GatewayError('upstream_error', `The ${provider} upstream sent a malformed stream event.`, {
      provider,
      upstreamRequestId,
    });
  }
}

function midStreamError(
  ev: Extract<AnthropicStreamEvent, { type: 'error' }>,
  provider: string,
  upstreamRequestId: string | undefined,
): GatewayError {
  const said = ev.error?.message ? `: ${ev.error.message}` : '';
  if (ev.error?.type === 'overloaded_error') {
    return new GatewayError('upstream_unavailable', `The ${provider} upstream is overloaded${said}`, {
      provider,
      upstreamRequestId,
      retryable: true,
    });
  }
  return new GatewayError('upstream_error', `The ${provider} upstream failed mid-stream${said}`, {
    provider,
    upstreamRequestId,
  });
}

/** The parts one content-block event contributes. */
function* blockParts(ev: AnthropicStreamEvent, state: MessageState): Generator<ChatStreamPart> {
  if (ev.type === 'content_block_start') {
    const block = ev.content_block;
    if (block.type === 'tool_use') {
      const index = state.openTool(ev.index);
      yield { type: 'tool-call-delta', index, id: block.id, name: block.name, argumentsDelta: '' };
    } else if (block.type === 'text' && block.text) {
      yield { type: 'text-delta', text: block.text };
    }
  } else if (ev.type === 'content_block_delta') {
    const delta = ev.delta;
    if (delta.type === 'text_delta' && delta.text) {
      yield { type: 'text-delta', text: delta.text };
    } else if (delta.type === 'input_json_delta' && delta.partial_json) {
      const tool = state.tool(ev.index);
      if (!tool) return;
      tool.argumentChars += delta.partial_json.length;
      yield { type: 'tool-call-delta', index: tool.index, argumentsDelta: delta.partial_json };
    }
  } else if (ev.type === 'content_block_stop') {
    // A tool called without arguments streams no JSON at all; callers still expect an object.
    const tool = state.tool(ev.index);
    if (tool && tool.argumentChars === 0) {
      tool.argumentChars = 2;
      yield { type: 'tool-call-delta', index: tool.index, argumentsDelta: '{}' };
    }
  }
}

/**
 * Anthropic's named SSE events → stream parts. Pings and unknown event names are skipped; an
 * `error` event or an end of stream without `message_stop` is thrown, never a silent finish.
 */
export async function* anthropicStreamParts(
  events: AsyncIterable<SseEvent>,
  provider: string,
  upstreamRequestId: string | undefined,
  warnings: string[],
): AsyncGenerator<ChatStreamPart> {
  const state = new MessageState();
  for await (const raw of events) {
    if (raw.event !== undefined && !KNOWN_EVENTS.has(raw.event)) continue;
    const ev = parse(raw, provider, upstreamRequestId);
    switch (ev.type) {
      case 'message_start': {
        const msg = ev.message;
        state.promptTokens = promptTokensOf(msg.usage) ?? 0;
        state.completionTokens = msg.usage?.output_tokens ?? 0;
        yield { type: 'start', id: msg.id, model: msg.model, upstreamRequestId, warnings };
        break;
      }
      case 'content_block_start':
      case 'content_block_delta':
      case 'content_block_stop':
        yield* blockParts(ev, state);
        break;
      case 'message_delta':
        // Counts are cumulative; newer servers repeat the input side here too.
        state.stopReason = ev.delta?.stop_reason ?? state.stopReason;
        state.promptTokens = promptTokensOf(ev.usage) ?? state.promptTokens;
        state.completionTokens = ev.usage?.output_tokens ?? state.completionTokens;
        break;
      case 'message_stop':
        yield { type: 'finish', finishReason: toFinishReason(state.stopReason), usage: state.usage() };
        return;
      case 'error':
        throw midStreamError(ev, provider, upstreamRequestId);
      case 'ping':
        break;
      default:
        break; // an unnamed event of a type this adapter does not know
    }
  }
  throw new GatewayError('upstream_error', `The ${provider} upstream stream ended before completion.`, {
    provider,
    upstreamRequestId,
  });
}
