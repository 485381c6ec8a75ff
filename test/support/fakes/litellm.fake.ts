import { randomBytes, randomUUID } from 'node:crypto';
import type { FakeExchange } from './fake-exchange.js';
import type { CannedResponse, FakeUpstreamOptions, RecordedRequest } from './fake-types.js';
import { FakeUpstream, type FakeRoute } from './fake-upstream.js';
import { dimensionFor, OPENAI_EMBEDDING_DIMENSIONS } from './embeddings.js';
import { LITELLM_VERSION, liteLlmError, openAiRequestId } from './errors.js';
import { chatBodyProblem, serveChatCompletion, serveEmbeddings } from './openai-compatible.js';
import { modelObject } from './openai-wire.js';
import { promptTokens, randomId } from './reply.js';
import { pythonJson } from './wire-format.js';

export interface LiteLlmFakeOptions extends FakeUpstreamOptions {
  /** When set, the key (Bearer, `x-litellm-api-key`, `api-key` or `x-api-key`) must match. */
  masterKey?: string;
  /** Upstream base URL reported in `x-litellm-model-api-base` and `/health`. */
  apiBase?: string;
}

const DEFAULT_MODELS = ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet', 'text-embedding-3-small'];
const KEY_HEADERS = ['x-litellm-api-key', 'api-key', 'x-api-key'];

/** The LiteLLM proxy: OpenAI-shaped routes with and without `/v1`, its error envelope and headers. */
export class LiteLlmFake extends FakeUpstream {
  declare protected readonly options: LiteLlmFakeOptions;

  constructor(options: LiteLlmFakeOptions = {}) {
    super(options);
  }

  /** Configured model groups. */
  override get models(): string[] {
    return this.options.models ?? DEFAULT_MODELS;
  }

  protected routes(): FakeRoute[] {
    const chat = (ex: FakeExchange): Promise<void> => this.chat(ex);
    const embeddings = (ex: FakeExchange): Promise<void> => this.embeddings(ex);
    const models = (ex: FakeExchange): Promise<void> => this.listModels(ex);
    return [
      { method: 'POST', path: '/v1/chat/completions', handle: chat },
      { method: 'POST', path: '/chat/completions', handle: chat },
      { method: 'POST', path: '/v1/embeddings', handle: embeddings },
      { method: 'POST', path: '/embeddings', handle: embeddings },
      { method: 'GET', path: '/v1/models', handle: models },
      { method: 'GET', path: '/models', handle: models },
      { method: 'GET', path: '/health', handle: (ex) => this.health(ex) },
      {
        method: 'GET',
        path: /^\/health\/(liveliness|liveness)$/,
        handle: (ex) => ex.json(200, '"I\'m alive!"'),
      },
      { method: 'GET', path: '/health/readiness', handle: (ex) => this.readiness(ex) },
    ];
  }

  protected errorFor(status: number): CannedResponse {
    return liteLlmError(status);
  }

  protected notFound(): CannedResponse {
    return { status: 404, body: { detail: 'Not Found' }, headers: { 'content-type': 'application/json' } };
  }

  protected override authorize(request: RecordedRequest): CannedResponse | undefined {
    if (request.pathname.startsWith('/health/')) return undefined;
    const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1]?.trim();
    const key = bearer ?? KEY_HEADERS.map((h) => request.headers[h]).find((v) => v !== undefined && v !== '');
    if (!key) {
      return liteLlmError(401, 'Authentication Error, No api key passed in.', {
        type: 'auth_error',
        param: 'None',
      });
    }
    if (this.options.masterKey !== undefined && key !== this.options.masterKey) {
      const masked = `${key.slice(0, 3)}...${key.slice(-4)}`;
      return liteLlmError(
        401,
        `Authentication Error, Invalid proxy server token passed. Received API Key = ${masked}, Key Hash (Token) =${randomBytes(32).toString('hex')}. Unable to find token in cache or \`LiteLLM_VerificationTokenTable\``,
        { type: 'token_not_found_in_db', param: 'key' },
      );
    }
    return undefined;
  }

  protected override commonHeaders(request: RecordedRequest): Record<string, string> {
    const model = typeof request.body?.model === 'string' ? request.body.model : undefined;
    const headers: Record<string, string> = {
      'x-litellm-call-id': randomUUID(),
      'x-litellm-version': LITELLM_VERSION,
      'x-litellm-key-spend': '0.0',
      'x-litellm-response-duration-ms': String(this.latencyMs + 3),
      'x-litellm-overhead-duration-ms': '1.2',
      'x-litellm-attempted-retries': '0',
      'x-litellm-attempted-fallbacks': '0',
      'x-litellm-max-fallbacks': '0',
    };
    const routed = !request.pathname.includes('health') && !request.pathname.endsWith('models');
    if (model === undefined || !routed || this.authorize(request)) return headers;
    return {
      ...headers,
      'x-litellm-model-id': randomBytes(32).toString('hex'),
      'x-litellm-model-api-base': this.options.apiBase ?? 'https://api.openai.com/v1',
      'x-litellm-model-group': model,
      'x-litellm-response-cost': '1.5e-05',
      'x-ratelimit-limit-requests': '5000',
      'x-ratelimit-remaining-requests': '4999',
      'x-ratelimit-limit-tokens': '160000',
      'x-ratelimit-remaining-tokens': '159976',
      'llm_provider-x-request-id': openAiRequestId(),
      'llm_provider-openai-processing-ms': '256',
      'llm_provider-x-ratelimit-limit-requests': '5000',
      'llm_provider-x-ratelimit-remaining-requests': '4999',
    };
  }

  protected newToolCallId(): string {
    return `call_${randomId(24)}`;
  }

  private invalidModel(route: string, model: string): CannedResponse {
    const message = `${route}: Invalid model name passed in model=${model}. Call \`/v1/models\` to view available models for your key.`;
    return liteLlmError(400, `{'error': '${message}'}`, { type: 'None', param: 'None' });
  }

  private async chat(exchange: FakeExchange): Promise<void> {
    await serveChatCompletion(exchange, {
      flavour: 'litellm',
      nextReply: (turns, maxTokens) => this.nextReply(turns, maxTokens),
      newCompletionId: () => `chatcmpl-${randomUUID()}`,
      reject: (body, turns) => {
        const problem = chatBodyProblem(body, (message, param) =>
          liteLlmError(400, `litellm.BadRequestError: ${message}`, { type: 'invalid_request_error', param }),
        );
        if (problem) return problem;
        const model = String(body.model);
        if (!this.isKnownModel(model)) return this.invalidModel('/chat/completions', model);
        const window = this.options.contextWindowTokens;
        const used = promptTokens(turns);
        if (window === undefined || used <= window) return undefined;
        return liteLlmError(
          400,
          `litellm.ContextWindowExceededError: litellm.BadRequestError: ContextWindowExceededError: OpenAIException - This model's maximum context length is ${window} tokens. However, your messages resulted in ${used} tokens. Please reduce the length of the messages.`,
          { type: 'None', param: 'None' },
        );
      },
      sseContentType: 'text/event-stream',
      errorFrame: {
        data: pythonJson({
          error: {
            message: 'litellm.InternalServerError: InternalServerError: OpenAIException - Connection error.',
            type: 'None',
            param: 'None',
            code: '500',
          },
        }),
      },
    });
  }

  private async embeddings(exchange: FakeExchange): Promise<void> {
    await serveEmbeddings(exchange, {
      flavour: 'litellm',
      invalid: (message, param) =>
        liteLlmError(400, `litellm.BadRequestError: ${message}`, { type: 'invalid_request_error', param }),
      reject: (model) => (this.isKnownModel(model) ? undefined : this.invalidModel('/embeddings', model)),
      dimensions: (model, requested) => requested ?? dimensionFor(model, OPENAI_EMBEDDING_DIMENSIONS, 1536),
    });
  }

  private async listModels(exchange: FakeExchange): Promise<void> {
    await exchange.json(200, {
      data: this.models.map((id) => modelObject(id, 'openai', 1677610602)),
      object: 'list',
    });
  }

  private async health(exchange: FakeExchange): Promise<void> {
    const apiBase = this.options.apiBase ?? 'https://api.openai.com/v1';
    const healthy = this.models.map((model) => ({ model, api_base: apiBase }));
    await exchange.json(200, {
      healthy_endpoints: healthy,
      unhealthy_endpoints: [],
      healthy_count: healthy.length,
      unhealthy_count: 0,
    });
  }

  private async readiness(exchange: FakeExchange): Promise<void> {
    await exchange.json(200, {
      status: 'connected',
      db: 'connected',
      cache: null,
      litellm_version: LITELLM_VERSION,
      success_callbacks: [],
      last_updated: new Date().toISOString(),
    });
  }
}
