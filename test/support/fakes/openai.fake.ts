import type { FakeExchange } from './fake-exchange.js';
import type { CannedResponse, ChatTurn, FakeUpstreamOptions, RecordedRequest } from './fake-types.js';
import { FakeUpstream, type FakeRoute } from './fake-upstream.js';
import { dimensionFor, OPENAI_EMBEDDING_DIMENSIONS } from './embeddings.js';
import { openAiError, openAiRequestId } from './errors.js';
import { chatBodyProblem, serveChatCompletion, serveEmbeddings } from './openai-compatible.js';
import { modelObject } from './openai-wire.js';
import { promptTokens, randomId } from './reply.js';

export interface OpenAiFakeOptions extends FakeUpstreamOptions {
  /** When set, `Authorization: Bearer <apiKey>` must match; otherwise any bearer token passes. */
  apiKey?: string;
  /** Extra or overriding model → vector size entries; unknown models get 1536. */
  embeddingDimensions?: Record<string, number>;
  /** Azure-style first chunk with empty ids and `choices: []`. */
  azureFirstChunk?: boolean;
  /** vLLM-style usage chunk with `choices: null`. */
  usageChoicesNull?: boolean;
}

const DEFAULT_MODELS = ['gpt-4o-mini', 'gpt-4.1-nano', 'text-embedding-3-small', 'text-embedding-3-large'];
const REQUEST_LIMIT = 5000;
const TOKEN_LIMIT = 160000;

/** api.openai.com: `/v1/chat/completions`, `/v1/embeddings`, `/v1/models[/{model}]`. */
export class OpenAiFake extends FakeUpstream {
  declare protected readonly options: OpenAiFakeOptions;

  constructor(options: OpenAiFakeOptions = {}) {
    super(options);
  }

  override get models(): string[] {
    return this.options.models ?? DEFAULT_MODELS;
  }

  protected routes(): FakeRoute[] {
    return [
      { method: 'POST', path: '/v1/chat/completions', handle: (ex) => this.chat(ex) },
      { method: 'POST', path: '/v1/embeddings', handle: (ex) => this.embeddings(ex) },
      { method: 'GET', path: '/v1/models', handle: (ex) => this.listModels(ex) },
      { method: 'GET', path: /^\/v1\/models\/[^/]+$/, handle: (ex) => this.retrieveModel(ex) },
    ];
  }

  protected errorFor(status: number): CannedResponse {
    const code = status === 429 ? 'rate_limit_exceeded' : status === 404 ? 'model_not_found' : null;
    return openAiError(status, code);
  }

  protected notFound(request: RecordedRequest): CannedResponse {
    return openAiError(404, null, { message: `Invalid URL (${request.method} ${request.pathname})` });
  }

  protected override authorize(request: RecordedRequest): CannedResponse | undefined {
    const match = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
    const key = match?.[1]?.trim();
    if (!key) {
      return openAiError(401, null, {
        message:
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (i.e. username: API key, password: YOUR_KEY). You can obtain an API key from https://platform.openai.com/account/api-keys.",
      });
    }
    if (this.options.apiKey !== undefined && key !== this.options.apiKey) {
      return openAiError(401, 'invalid_api_key', {
        message: `Incorrect API key provided: ${redactKey(key)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
      });
    }
    return undefined;
  }

  protected override commonHeaders(_request: RecordedRequest): Record<string, string> {
    const used = this.requests.length;
    return {
      'x-request-id': openAiRequestId(),
      'openai-organization': 'user-fake',
      'openai-processing-ms': String(this.latencyMs + 1),
      'openai-version': '2020-10-01',
      'x-ratelimit-limit-requests': String(REQUEST_LIMIT),
      'x-ratelimit-limit-tokens': String(TOKEN_LIMIT),
      'x-ratelimit-remaining-requests': String(Math.max(0, REQUEST_LIMIT - used)),
      'x-ratelimit-remaining-tokens': String(Math.max(0, TOKEN_LIMIT - used * 24)),
      'x-ratelimit-reset-requests': '12ms',
      'x-ratelimit-reset-tokens': '9ms',
    };
  }

  protected newToolCallId(): string {
    return `call_${randomId(24)}`;
  }

  private async chat(exchange: FakeExchange): Promise<void> {
    await serveChatCompletion(exchange, {
      flavour: 'openai',
      nextReply: (turns, maxTokens) => this.nextReply(turns, maxTokens),
      newCompletionId: () => `chatcmpl-${randomId(29)}`,
      reject: (body, turns) => this.rejectChat(body, turns),
      sseContentType: 'text/event-stream; charset=utf-8',
      errorFrame: {
        data: JSON.stringify(
          openAiErrorPayload('The server had an error while processing your request. Sorry about that!'),
        ),
      },
      azureFirstChunk: this.options.azureFirstChunk,
      usageChoicesNull: this.options.usageChoicesNull,
    });
  }

  private rejectChat(body: Record<string, unknown>, turns: ChatTurn[]): CannedResponse | undefined {
    const problem = chatBodyProblem(body, (message, param) => openAiError(400, null, { message, param }));
    if (problem) return problem;
    const model = String(body.model);
    if (!this.isKnownModel(model)) return this.modelNotFound(model);
    const window = this.options.contextWindowTokens;
    const used = promptTokens(turns);
    if (window !== undefined && used > window) {
      return openAiError(400, 'context_length_exceeded', {
        message: `This model's maximum context length is ${window} tokens. However, your messages resulted in ${used} tokens. Please reduce the length of the messages.`,
      });
    }
    return undefined;
  }

  private async embeddings(exchange: FakeExchange): Promise<void> {
    await serveEmbeddings(exchange, {
      flavour: 'openai',
      invalid: (message, param) => openAiError(400, null, { message, param }),
      reject: (model) => (this.isKnownModel(model) ? undefined : this.modelNotFound(model)),
      dimensions: (model, requested) => {
        const native = dimensionFor(
          model,
          { ...OPENAI_EMBEDDING_DIMENSIONS, ...this.options.embeddingDimensions },
          1536,
        );
        if (requested === undefined) return native;
        if (!model.startsWith('text-embedding-3')) {
          return openAiError(400, null, {
            message: 'This model does not support specifying dimensions.',
            param: 'dimensions',
          });
        }
        return requested;
      },
    });
  }

  private async listModels(exchange: FakeExchange): Promise<void> {
    await exchange.json(200, { object: 'list', data: this.models.map((id) => modelObject(id, 'system')) });
  }

  private async retrieveModel(exchange: FakeExchange): Promise<void> {
    const id = decodeURIComponent(exchange.request.pathname.slice('/v1/models/'.length));
    if (!this.models.includes(id)) {
      const canned = this.modelNotFound(id);
      await exchange.json(canned.status, canned.body, canned.headers);
      return;
    }
    await exchange.json(200, modelObject(id, 'system'));
  }

  private modelNotFound(model: string): CannedResponse {
    return openAiError(404, 'model_not_found', {
      message: `The model \`${model}\` does not exist or you do not have access to it.`,
    });
  }
}

/** The body of an OpenAI-style error frame inside a stream. */
export function openAiErrorPayload(message: string, type = 'server_error'): Record<string, unknown> {
  return { error: { message, type, param: null, code: null } };
}

function redactKey(key: string): string {
  return key.length <= 8
    ? key
    : `${key.slice(0, 3)}${'*'.repeat(Math.min(key.length - 7, 20))}${key.slice(-4)}`;
}
