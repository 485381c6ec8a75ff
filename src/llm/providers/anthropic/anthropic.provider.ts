import { parseSse } from '../../../common/streaming/sse-parser.js';
import type {
  CallOptions,
  ChatRequest,
  ChatResult,
  ChatStreamPart,
  UpstreamModel,
} from '../../core/chat.types.js';
import { LlmProvider, type PoolStats } from '../../core/llm-provider.port.js';
import { mapTransportError } from '../shared/upstream-errors.js';
import { UpstreamHttp, type UpstreamResponse } from '../shared/upstream-http.js';
import { anthropicStreamParts } from './anthropic-stream.js';
import { fromAnthropicMessage, readAnthropicError, toAnthropicBody } from './anthropic.mapper.js';
import type { AnthropicMessageResponse, AnthropicModelList } from './anthropic.wire.js';

export interface AnthropicSettings {
  /** Origin without `/v1`, e.g. `https://api.anthropic.com`. */
  baseUrl: string;
  apiKey?: string;
  connections: number;
  /** Longest wait for response headers; a timeout becomes 504. */
  headersTimeoutMs?: number;
  /** Longest silence between body chunks; a timeout becomes 504. */
  bodyTimeoutMs?: number;
  /** Longest wait for a TCP/TLS connection. */
  connectTimeoutMs?: number;
  /** Sent as `max_tokens` when a request sets none (the Messages API requires it). */
  defaultMaxTokens: number;
  /** `anthropic-version` header; `2023-06-01` when unset. */
  version?: string;
}

const DEFAULT_VERSION = '2023-06-01';
/** Bounds model discovery; the API's page limit is 1000, so one page is the normal case. */
const MAX_MODEL_PAGES = 10;

function requestId(res: UpstreamResponse): string | undefined {
  const v = res.headers['request-id'];
  return typeof v === 'string' ? v : undefined;
}

/** Anthropic's Messages API. It has no embeddings endpoint, so there is no `embed`. */
export class AnthropicProvider extends LlmProvider {
  readonly id = 'anthropic';
  private readonly http: UpstreamHttp;

  constructor(private readonly settings: AnthropicSettings) {
    super();
    this.http = new UpstreamHttp(
      {
        provider: this.id,
        baseUrl: settings.baseUrl,
        connections: settings.connections,
        headersTimeoutMs: settings.headersTimeoutMs,
        bodyTimeoutMs: settings.bodyTimeoutMs,
        connectTimeoutMs: settings.connectTimeoutMs,
        defaultHeaders: {
          accept: 'application/json',
          'anthropic-version': settings.version ?? DEFAULT_VERSION,
          ...(settings.apiKey ? { 'x-api-key': settings.apiKey } : {}),
        },
      },
      readAnthropicError,
    );
  }

  async generate(req: ChatRequest, { signal }: CallOptions): Promise<ChatResult> {
    const { body, warnings } = toAnthropicBody(req, false, this.settings.defaultMaxTokens);
    const res = await this.http.request('POST', '/v1/messages', body, signal);
    const message = await this.http.json<AnthropicMessageResponse>(res, signal);
    return fromAnthropicMessage(message, requestId(res), warnings);
  }

  async *stream(req: ChatRequest, { signal }: CallOptions): AsyncGenerator<ChatStreamPart> {
    const { body, warnings } = toAnthropicBody(req, true, this.settings.defaultMaxTokens);
    const res = await this.http.request('POST', '/v1/messages', body, signal, {
      accept: 'text/event-stream',
    });
    try {
      yield* anthropicStreamParts(parseSse(res.body), this.id, requestId(res), warnings);
    } catch (err) {
      throw mapTransportError(this.id, err, signal);
    } finally {
      // Ends the upstream read (and frees the socket) when the consumer stops early.
      if (!res.body.destroyed) res.body.destroy();
    }
  }

  async listModels({ signal }: CallOptions): Promise<UpstreamModel[]> {
    const models: UpstreamModel[] = [];
    let after: string | undefined;
    for (let page = 0; page < MAX_MODEL_PAGES; page++) {
      const query = `?limit=1000${after === undefined ? '' : `&after_id=${encodeURIComponent(after)}`}`;
      const res = await this.http.request('GET', `/v1/models${query}`, undefined, signal);
      const list = await this.http.json<AnthropicModelList>(res, signal);
      for (const m of list.data)
        models.push({ id: m.id, ownedBy: 'anthropic', created: createdAt(m.created_at) });
      if (!list.has_more || !list.last_id) break;
      after = list.last_id;
    }
    return models;
  }

  override poolStats(): PoolStats {
    return this.http.poolStats();
  }

  override close(): Promise<void> {
    return this.http.close();
  }
}

function createdAt(iso: string | undefined): number | undefined {
  const ms = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}
