import type { ErrorEnvelope } from '../common/errors/error-envelope.js';
import type { FinishReason, Usage } from './core/chat.types.js';

function usageJson(u: Usage, cachedTokens?: number): string {
  const details =
    cachedTokens === undefined ? '' : `,"prompt_tokens_details":{"cached_tokens":${cachedTokens}}`;
  return `{"prompt_tokens":${u.promptTokens},"completion_tokens":${u.completionTokens},"total_tokens":${u.totalTokens}${details}}`;
}

/**
 * Writes OpenAI `chat.completion.chunk` SSE frames. The invariant part of every chunk (id, created,
 * model) is serialised once; only deltas are serialised per event.
 */
export class OpenAiSseEncoder {
  private readonly head: string;
  private readonly usageTail: string;

  constructor(
    id: string,
    model: string,
    created: number,
    private readonly includeUsage: boolean,
  ) {
    this.head = `data: {"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"system_fingerprint":null,"choices":[`;
    this.usageTail = includeUsage ? ',"usage":null}\n\n' : '}\n\n';
  }

  role(): string {
    return `${this.head}{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]${this.usageTail}`;
  }

  text(text: string): string {
    return `${this.head}{"index":0,"delta":{"content":${JSON.stringify(text)}},"logprobs":null,"finish_reason":null}]${this.usageTail}`;
  }

  toolCall(index: number, id: string | undefined, name: string | undefined, args: string): string {
    const fn =
      name === undefined
        ? `{"arguments":${JSON.stringify(args)}}`
        : `{"name":${JSON.stringify(name)},"arguments":${JSON.stringify(args)}}`;
    const idPart = id === undefined ? '' : `"id":${JSON.stringify(id)},"type":"function",`;
    return `${this.head}{"index":0,"delta":{"tool_calls":[{"index":${index},${idPart}"function":${fn}}]},"logprobs":null,"finish_reason":null}]${this.usageTail}`;
  }

  /** `cachedTokens`: prompt tokens served from the gateway's cache (reported as OpenAI does). */
  finish(reason: FinishReason, usage: Usage | undefined, cachedTokens?: number): string {
    let out = `${this.head}{"index":0,"delta":{},"logprobs":null,"finish_reason":"${reason}"}]${this.usageTail}`;
    if (this.includeUsage && usage) out += `${this.head}],"usage":${usageJson(usage, cachedTokens)}}\n\n`;
    return `${out}data: [DONE]\n\n`;
  }

  /** A terminal error event in OpenAI's shape; the stream ends after it without `[DONE]`. */
  static error(envelope: ErrorEnvelope): string {
    return `data: ${JSON.stringify(envelope)}\n\n`;
  }
}
