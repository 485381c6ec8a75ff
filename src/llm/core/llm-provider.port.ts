import type {
  CallOptions,
  ChatRequest,
  ChatResult,
  ChatStreamPart,
  EmbedRequest,
  EmbedResult,
  UpstreamModel,
} from './chat.types.js';

/**
 * The port every provider strategy implements (one folder per provider). Implementations make
 * exactly one upstream attempt per call and throw `GatewayError` with `retryable` decided once;
 * retries and fallbacks belong to the router. A stream's errors are thrown from the iterator.
 */
export abstract class LlmProvider {
  /** The `<provider>` prefix clients use, e.g. `openai`. */
  abstract readonly id: string;

  abstract generate(req: ChatRequest, opts: CallOptions): Promise<ChatResult>;

  abstract stream(req: ChatRequest, opts: CallOptions): AsyncIterable<ChatStreamPart>;

  /** Absent when the provider has no embeddings API (Anthropic). */
  embed?(req: EmbedRequest, opts: CallOptions): Promise<EmbedResult>;

  /** The upstream's model list, for discovery. */
  abstract listModels(opts: CallOptions): Promise<UpstreamModel[]>;

  /** Releases pooled connections at shutdown. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
