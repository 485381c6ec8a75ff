import { GatewayError } from '../../../common/errors/gateway-error.js';
import type {
  CallOptions,
  ChatRequest,
  ChatResult,
  ChatStreamPart,
  EmbedRequest,
  EmbedResult,
  UpstreamModel,
} from '../../core/chat.types.js';
import { LlmProvider, type PoolStats } from '../../core/llm-provider.port.js';
import { mapTransportError } from '../shared/upstream-errors.js';
import { UpstreamHttp } from '../shared/upstream-http.js';
import { ollamaObjects, ollamaStreamParts } from './ollama-stream.js';
import { fromOllamaChat, OLLAMA_PROVIDER, readOllamaError, toOllamaBody } from './ollama.mapper.js';
import type { OllamaChatResponse, OllamaEmbedBody, OllamaEmbedResponse, OllamaTags } from './ollama.wire.js';

export interface OllamaSettings {
  /** Server root, e.g. `http://localhost:11434` (the native API lives under `/api`). */
  baseUrl: string;
  connections: number;
  /** Longest wait for response headers; a timeout becomes 504. */
  headersTimeoutMs?: number;
  /** Longest silence between body chunks; a timeout becomes 504. */
  bodyTimeoutMs?: number;
  /** Longest wait for a TCP/TLS connection. */
  connectTimeoutMs?: number;
}

function malformedAnswer(what: string): GatewayError {
  return new GatewayError('upstream_error', `The ${OLLAMA_PROVIDER} upstream sent a malformed ${what}.`, {
    provider: OLLAMA_PROVIDER,
  });
}

function createdSeconds(modifiedAt: string | undefined): number | undefined {
  const ms = modifiedAt === undefined ? Number.NaN : Date.parse(modifiedAt);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/**
 * Ollama's native API (`/api/chat`, `/api/embed`, `/api/tags`). Model names go upstream exactly as
 * requested: Ollama itself resolves a bare `llama3.2` to `llama3.2:latest`.
 */
export class OllamaProvider extends LlmProvider {
  readonly id = OLLAMA_PROVIDER;
  private readonly http: UpstreamHttp;

  constructor(settings: OllamaSettings) {
    super();
    this.http = new UpstreamHttp(
      {
        provider: OLLAMA_PROVIDER,
        baseUrl: settings.baseUrl,
        connections: settings.connections,
        headersTimeoutMs: settings.headersTimeoutMs,
        bodyTimeoutMs: settings.bodyTimeoutMs,
        connectTimeoutMs: settings.connectTimeoutMs,
        defaultHeaders: { accept: 'application/json' },
      },
      readOllamaError,
    );
  }

  async generate(req: ChatRequest, { signal }: CallOptions): Promise<ChatResult> {
    const { body, warnings } = toOllamaBody(req, false);
    const res = await this.http.request('POST', '/api/chat', body, signal);
    const answer = await this.http.json<OllamaChatResponse | null>(res, signal);
    if (answer === null || typeof answer !== 'object') throw malformedAnswer('chat response');
    if (typeof answer.error === 'string') {
      throw new GatewayError('upstream_error', `The ${OLLAMA_PROVIDER} upstream failed: ${answer.error}`, {
        provider: OLLAMA_PROVIDER,
      });
    }
    return fromOllamaChat(answer, req.model, warnings);
  }

  async *stream(req: ChatRequest, { signal }: CallOptions): AsyncGenerator<ChatStreamPart> {
    const { body, warnings } = toOllamaBody(req, true);
    const res = await this.http.request('POST', '/api/chat', body, signal, {
      accept: 'application/x-ndjson',
    });
    try {
      yield* ollamaStreamParts(ollamaObjects(res.body, this.id), this.id, warnings);
    } catch (err) {
      throw mapTransportError(this.id, err, signal);
    } finally {
      // Ends the upstream read (and frees the socket) when the consumer stops early.
      if (!res.body.destroyed) res.body.destroy();
    }
  }

  override async embed(req: EmbedRequest, { signal }: CallOptions): Promise<EmbedResult> {
    const body: OllamaEmbedBody = { model: req.model, input: req.input };
    if (req.dimensions !== undefined) body.dimensions = req.dimensions;
    const res = await this.http.request('POST', '/api/embed', body, signal);
    const out = await this.http.json<OllamaEmbedResponse | null>(res, signal);
    const vectors = out?.embeddings;
    if (!Array.isArray(vectors) || vectors.length !== req.input.length)
      throw malformedAnswer('embedding response');
    return { model: out?.model ?? req.model, vectors, promptTokens: out?.prompt_eval_count ?? 0 };
  }

  async listModels({ signal }: CallOptions): Promise<UpstreamModel[]> {
    const res = await this.http.request('GET', '/api/tags', undefined, signal);
    const tags = await this.http.json<OllamaTags | null>(res, signal);
    return (tags?.models ?? []).map((m) => ({ id: m.name, created: createdSeconds(m.modified_at) }));
  }

  override poolStats(): PoolStats {
    return this.http.poolStats();
  }

  override close(): Promise<void> {
    return this.http.close();
  }
}
