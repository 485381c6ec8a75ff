import { parseSse } from '../../../common/streaming/sse-parser.js';
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
import { openAiStreamParts } from './openai-stream.js';
import { fromOpenAiCompletion, readOpenAiError, toOpenAiBody } from './openai.mapper.js';
import type { OpenAiCompletion, OpenAiEmbeddings, OpenAiModelList } from './openai.wire.js';

export interface OpenAiCompatibleSettings {
  id: string;
  baseUrl: string;
  apiKey?: string;
  connections: number;
  /** Longest wait for response headers; a timeout becomes 504. */
  headersTimeoutMs?: number;
  /** Longest silence between body chunks; a timeout becomes 504. */
  bodyTimeoutMs?: number;
  /** Longest wait for a TCP/TLS connection. */
  connectTimeoutMs?: number;
  /** LiteLLM and most compatible servers want `max_tokens` for every model. */
  legacyMaxTokens?: boolean;
  extraHeaders?: Record<string, string>;
}

function requestId(headers: Record<string, string | string[] | undefined>): string | undefined {
  const v = headers['x-request-id'] ?? headers['x-litellm-call-id'];
  return typeof v === 'string' ? v : undefined;
}

/** OpenAI's Chat Completions API, and any server speaking it (LiteLLM's proxy is one). */
export class OpenAiProvider extends LlmProvider {
  readonly id: string;
  private readonly http: UpstreamHttp;

  constructor(private readonly settings: OpenAiCompatibleSettings) {
    super();
    this.id = settings.id;
    this.http = new UpstreamHttp(
      {
        provider: settings.id,
        baseUrl: settings.baseUrl,
        connections: settings.connections,
        headersTimeoutMs: settings.headersTimeoutMs,
        bodyTimeoutMs: settings.bodyTimeoutMs,
        connectTimeoutMs: settings.connectTimeoutMs,
        defaultHeaders: {
          accept: 'application/json',
          ...(settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {}),
          ...settings.extraHeaders,
        },
      },
      readOpenAiError,
    );
  }

  async generate(req: ChatRequest, { signal }: CallOptions): Promise<ChatResult> {
    const body = toOpenAiBody(req, false, this.settings.legacyMaxTokens ?? false);
    const res = await this.http.request('POST', '/chat/completions', body, signal);
    const completion = await this.http.json<OpenAiCompletion>(res, signal);
    return fromOpenAiCompletion(completion, requestId(res.headers));
  }

  async *stream(req: ChatRequest, { signal }: CallOptions): AsyncGenerator<ChatStreamPart> {
    const body = toOpenAiBody(req, true, this.settings.legacyMaxTokens ?? false);
    const res = await this.http.request('POST', '/chat/completions', body, signal);
    try {
      yield* openAiStreamParts(parseSse(res.body), this.id, requestId(res.headers), []);
    } catch (err) {
      throw mapTransportError(this.id, err, signal);
    } finally {
      // Ends the upstream read (and frees the socket) when the consumer stops early.
      if (!res.body.destroyed) res.body.destroy();
    }
  }

  override async embed(req: EmbedRequest, { signal }: CallOptions): Promise<EmbedResult> {
    const body = {
      model: req.model,
      input: req.input,
      encoding_format: 'float',
      ...(req.dimensions ? { dimensions: req.dimensions } : {}),
    };
    const res = await this.http.request('POST', '/embeddings', body, signal);
    const out = await this.http.json<OpenAiEmbeddings>(res, signal);
    const vectors = [...out.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
    return { model: out.model, vectors, promptTokens: out.usage?.prompt_tokens ?? 0 };
  }

  async listModels({ signal }: CallOptions): Promise<UpstreamModel[]> {
    const res = await this.http.request('GET', '/models', undefined, signal);
    const list = await this.http.json<OpenAiModelList>(res, signal);
    return list.data.map((m) => ({ id: m.id, ownedBy: m.owned_by, created: m.created }));
  }

  override poolStats(): PoolStats {
    return this.http.poolStats();
  }

  override close(): Promise<void> {
    return this.http.close();
  }
}
