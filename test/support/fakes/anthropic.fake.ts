import type { FakeExchange } from './fake-exchange.js';
import type { CannedResponse, ChatTurn, FakeUpstreamOptions, RecordedRequest } from './fake-types.js';
import { FakeUpstream, type FakeRoute } from './fake-upstream.js';
import {
  displayName,
  messageObject,
  messageStreamFrames,
  OVERLOADED_FRAME,
  PING_FRAME,
} from './anthropic-wire.js';
import { anthropicError, anthropicRateLimitHeaders, anthropicRequestId } from './errors.js';
import { contentText, numberField, promptTokens, randomId, turnsOf } from './reply.js';

export interface AnthropicFakeOptions extends FakeUpstreamOptions {
  /** When set, `x-api-key` must match; otherwise any non-empty key passes. */
  apiKey?: string;
  /** Insert an unknown `future_thing` event after `message_start` (clients must ignore it). */
  unknownEvent?: boolean;
}

const DEFAULT_MODELS = [
  'claude-sonnet-4-5-20250929',
  'claude-haiku-4-5-20251001',
  'claude-opus-4-1-20250805',
];
const CONTENT_TYPE_SSE = 'text/event-stream; charset=utf-8';

/** api.anthropic.com: `/v1/messages`, `/v1/messages/count_tokens`, `/v1/models[/{id}]`. */
export class AnthropicFake extends FakeUpstream {
  declare protected readonly options: AnthropicFakeOptions;

  constructor(options: AnthropicFakeOptions = {}) {
    super(options);
  }

  override get models(): string[] {
    return this.options.models ?? DEFAULT_MODELS;
  }

  protected routes(): FakeRoute[] {
    return [
      { method: 'POST', path: '/v1/messages', handle: (ex) => this.messages(ex) },
      { method: 'POST', path: '/v1/messages/count_tokens', handle: (ex) => this.countTokens(ex) },
      { method: 'GET', path: '/v1/models', handle: (ex) => this.listModels(ex) },
      { method: 'GET', path: /^\/v1\/models\/[^/]+$/, handle: (ex) => this.retrieveModel(ex) },
    ];
  }

  protected errorFor(status: number, request: RecordedRequest): CannedResponse {
    return anthropicError(status, { requestId: this.requestIdOf(request) });
  }

  protected notFound(request: RecordedRequest): CannedResponse {
    return anthropicError(404, { message: 'Not Found', requestId: this.requestIdOf(request) });
  }

  protected override authorize(request: RecordedRequest): CannedResponse | undefined {
    const requestId = this.requestIdOf(request);
    const key = request.headers['x-api-key'];
    if (!key) return anthropicError(401, { message: 'x-api-key header is required', requestId });
    if (this.options.apiKey !== undefined && key !== this.options.apiKey) {
      return anthropicError(401, { message: 'invalid x-api-key', requestId });
    }
    if (!request.headers['anthropic-version']) {
      return anthropicError(400, { message: 'anthropic-version: header is required', requestId });
    }
    return undefined;
  }

  protected override commonHeaders(request: RecordedRequest): Record<string, string> {
    return {
      'request-id': this.requestIdOf(request),
      'anthropic-organization-id': '36562039-0000-4000-8000-00000000fake',
      ...anthropicRateLimitHeaders(),
    };
  }

  protected newToolCallId(): string {
    return `toolu_01${randomId(22)}`;
  }

  private readonly requestIds = new WeakMap<RecordedRequest, string>();

  /** One id per request, shared by the `request-id` header and the error body's `request_id`. */
  private requestIdOf(request: RecordedRequest): string {
    let id = this.requestIds.get(request);
    if (id === undefined) {
      id = anthropicRequestId();
      this.requestIds.set(request, id);
    }
    return id;
  }

  private invalid(request: RecordedRequest, message: string): CannedResponse {
    return anthropicError(400, { message, requestId: this.requestIdOf(request) });
  }

  private turns(body: Record<string, unknown>): ChatTurn[] {
    const system = contentText(body.system);
    return [...(system ? [{ role: 'system', text: system }] : []), ...turnsOf(body.messages)];
  }

  private validate(
    request: RecordedRequest,
    body: Record<string, unknown>,
    needsMaxTokens: boolean,
  ): CannedResponse | undefined {
    if (typeof body.model !== 'string') return this.invalid(request, 'model: Field required');
    if (!Array.isArray(body.messages)) return this.invalid(request, 'messages: Field required');
    if (needsMaxTokens && typeof body.max_tokens !== 'number')
      return this.invalid(request, 'max_tokens: Field required');
    if (turnsOf(body.messages).some((t) => t.role === 'system')) {
      return this.invalid(
        request,
        'messages: Unexpected role "system". The Messages API accepts a top-level `system` parameter, not "system" as an input message role.',
      );
    }
    if (!this.isKnownModel(body.model)) {
      return anthropicError(404, { message: `model: ${body.model}`, requestId: this.requestIdOf(request) });
    }
    const window = this.options.contextWindowTokens;
    const used = promptTokens(this.turns(body));
    if (window !== undefined && used > window)
      return this.invalid(request, `prompt is too long: ${used} tokens > ${window} maximum`);
    return undefined;
  }

  private async messages(exchange: FakeExchange): Promise<void> {
    const body = exchange.body;
    const problem = this.validate(exchange.request, body, true);
    if (problem) {
      await this.respond(exchange, problem);
      return;
    }
    const reply = this.nextReply(this.turns(body), numberField(body, 'max_tokens'));
    const meta = { id: `msg_01${randomId(22)}`, model: String(body.model) };
    if (body.stream !== true) {
      await exchange.json(200, messageObject(meta, reply));
      return;
    }
    await exchange.stream({
      format: 'sse',
      contentType: CONTENT_TYPE_SSE,
      frames: messageStreamFrames(meta, reply, this.options.unknownEvent),
      errorFrame: OVERLOADED_FRAME,
      keepAliveFrame: PING_FRAME,
    });
  }

  private async countTokens(exchange: FakeExchange): Promise<void> {
    const problem = this.validate(exchange.request, exchange.body, false);
    if (problem) {
      await this.respond(exchange, problem);
      return;
    }
    await exchange.json(200, { input_tokens: promptTokens(this.turns(exchange.body)) });
  }

  private modelObject(id: string, index: number): Record<string, unknown> {
    const date = /-(\d{4})(\d{2})(\d{2})$/.exec(id);
    const created = date
      ? `${date[1]}-${date[2]}-${date[3]}T00:00:00Z`
      : new Date(Date.UTC(2025, 0, 1 + index)).toISOString().replace('.000', '');
    return { type: 'model', id, display_name: displayName(id), created_at: created };
  }

  private async listModels(exchange: FakeExchange): Promise<void> {
    const query = exchange.request.query;
    const limit = Math.min(1000, Math.max(1, Number(query.get('limit') ?? 20) || 20));
    let models = this.models;
    const after = query.get('after_id');
    const before = query.get('before_id');
    if (after !== null) models = models.slice(models.indexOf(after) + 1);
    if (before !== null && models.includes(before)) models = models.slice(0, models.indexOf(before));
    const page = before !== null ? models.slice(-limit) : models.slice(0, limit);
    await exchange.json(200, {
      data: page.map((id) => this.modelObject(id, this.models.indexOf(id))),
      has_more: page.length < models.length,
      first_id: page[0] ?? null,
      last_id: page[page.length - 1] ?? null,
    });
  }

  private async retrieveModel(exchange: FakeExchange): Promise<void> {
    const id = decodeURIComponent(exchange.request.pathname.slice('/v1/models/'.length));
    const index = this.models.indexOf(id);
    if (index < 0) {
      await this.respond(
        exchange,
        anthropicError(404, { message: `model: ${id}`, requestId: this.requestIdOf(exchange.request) }),
      );
      return;
    }
    await exchange.json(200, this.modelObject(id, index));
  }
}
