import { GatewayError } from '../../../common/errors/gateway-error.js';
import { NdjsonSyntaxError, parseNdjson } from '../../../common/streaming/ndjson-parser.js';
import type { ChatStreamPart } from '../../core/chat.types.js';
import { fromOllamaToolCalls, newCompletionId, toFinishReason, toUsage } from './ollama.mapper.js';
import type { OllamaChatResponse } from './ollama.wire.js';

function malformed(provider: string, cause?: unknown): GatewayError {
  return new GatewayError('upstream_error', `The ${provider} upstream sent a malformed stream line.`, {
    provider,
    cause,
  });
}

/** NDJSON body → `/api/chat` objects; a line that is not a JSON object is an upstream failure. */
export async function* ollamaObjects(
  body: AsyncIterable<Uint8Array>,
  provider: string,
): AsyncGenerator<OllamaChatResponse> {
  try {
    for await (const value of parseNdjson(body)) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw malformed(provider);
      yield value;
    }
  } catch (err) {
    throw err instanceof NdjsonSyntaxError ? malformed(provider, err) : err;
  }
}

/**
 * `/api/chat` NDJSON objects → stream parts. Each Ollama tool call arrives whole, so it becomes one
 * delta carrying the complete arguments. An `{"error":...}` line, or input that ends without a
 * `done: true` object, is an error, never a silent end.
 */
export async function* ollamaStreamParts(
  objects: AsyncIterable<OllamaChatResponse>,
  provider: string,
  warnings: string[],
): AsyncGenerator<ChatStreamPart> {
  let started = false;
  let toolCalls = 0;
  for await (const obj of objects) {
    if (obj.error !== undefined) {
      const said = typeof obj.error === 'string' && obj.error !== '' ? `: ${obj.error}` : '';
      throw new GatewayError('upstream_error', `The ${provider} upstream failed mid-stream${said}`, {
        provider,
      });
    }
    if (!started) {
      started = true;
      yield { type: 'start', id: newCompletionId(), model: obj.model, warnings };
    }
    const content = obj.message?.content;
    if (content) yield { type: 'text-delta', text: content };
    for (const call of fromOllamaToolCalls(obj.message?.tool_calls)) {
      yield {
        type: 'tool-call-delta',
        index: toolCalls++,
        id: call.id,
        name: call.function.name,
        argumentsDelta: call.function.arguments,
      };
    }
    if (obj.done === true) {
      yield {
        type: 'finish',
        finishReason: toFinishReason(obj.done_reason, toolCalls > 0),
        usage: toUsage(obj),
      };
      return;
    }
  }
  throw new GatewayError('upstream_error', `The ${provider} upstream stream ended before completion.`, {
    provider,
  });
}
