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
/** A keep-alive pool's sockets: connected (open), free (idle), pending (connecting), running (busy), queued requests. */
export interface PoolStats {
  connected: number;
  free: number;
  pending: number;
  running: number;
  queued: number;
}

export abstract class LlmProvider {
  /** The `<provider>` prefix clients use, e.g. `openai`. */
  abstract readonly id: string;

  abstract generate(req: ChatRequest, opts: CallOptions): Promise<ChatResult>;

  abstract stream(req: ChatRequest, opts: CallOptions): AsyncIterable<ChatStreamPart>;

  /** Absent when the provider has no embeddings API (Anthropic). */
  embed?(req: EmbedRequest, opts: CallOptions): Promise<EmbedResult>;

  /** The upstream's model list, for discovery. */
  abstract listModels(opts: CallOptions): Promise<UpstreamModel[]>;

  /** Sockets of the upstream connection pool, for metrics; undefined when there is no pool. */
  poolStats(): PoolStats | undefined {
    return undefined;
  }

  /** Releases pooled connections at shutdown. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}
