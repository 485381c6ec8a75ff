import { randomInt } from 'node:crypto';
import type { FakeExchange } from './fake-exchange.js';
import type {
  CannedResponse,
  ChatTurn,
  FakeUpstreamOptions,
  RecordedRequest,
  ResolvedReply,
} from './fake-types.js';
import { FakeUpstream, type FakeRoute } from './fake-upstream.js';
import { dimensionFor, embeddingInputs, embedText, OLLAMA_EMBEDDING_DIMENSIONS } from './embeddings.js';
import { ollamaError } from './errors.js';
import { chatBodyProblem, serveChatCompletion, serveEmbeddings } from './openai-compatible.js';
import { modelObject } from './openai-wire.js';
import {
  chatDone,
  chatLines,
  generateDone,
  generateLines,
  metrics,
  showResponse,
  tagEntry,
  withTag,
} from './ollama-wire.js';
import { countWords, numberField, randomId, turnsOf } from './reply.js';

export type OllamaFakeOptions = FakeUpstreamOptions;

const DEFAULT_MODELS = ['llama3.2:latest', 'qwen2.5:7b', 'all-minilm:latest', 'nomic-embed-text:latest'];
const JSON_TYPE = 'application/json; charset=utf-8';
const MID_STREAM_ERROR = '{"error":"an error was encountered while running the model"}';

/** Ollama's OpenAI layer types errors from the status alone. */
export function ollamaV1Error(status: number, message: string): CannedResponse {
  const type = status === 400 ? 'invalid_request_error' : status === 404 ? 'not_found_error' : 'api_error';
  return {
    status,
    body: { error: { message, type, param: null, code: null } },
    headers: { 'content-type': JSON_TYPE },
  };
}

/** A local Ollama server: native `/api/*` (NDJSON) and the `/v1/*` compatibility layer. */
export class OllamaFake extends FakeUpstream {
  constructor(options: OllamaFakeOptions = {}) {
    super(options);
  }

  /** Model names as `/api/tags` lists them (always tagged). */
  override get models(): string[] {
    return (this.options.models ?? DEFAULT_MODELS).map(withTag);
  }

  protected routes(): FakeRoute[] {
    return [
      { method: 'GET', path: '/', handle: (ex) => ex.text(200, 'Ollama is running') },
      {
        method: 'GET',
        path: '/api/version',
        handle: (ex) => ex.json(200, { version: '0.12.6' }, { 'content-type': JSON_TYPE }),
      },
      { method: 'GET', path: '/api/tags', handle: (ex) => this.tags(ex) },
      { method: 'POST', path: '/api/show', handle: (ex) => this.show(ex) },
      { method: 'POST', path: '/api/chat', handle: (ex) => this.chat(ex) },
      { method: 'POST', path: '/api/generate', handle: (ex) => this.generate(ex) },
      { method: 'POST', path: '/api/embed', handle: (ex) => this.embed(ex) },
      { method: 'POST', path: '/api/embeddings', handle: (ex) => this.legacyEmbeddings(ex) },
      { method: 'POST', path: '/v1/chat/completions', handle: (ex) => this.v1Chat(ex) },
      { method: 'POST', path: '/v1/embeddings', handle: (ex) => this.v1Embeddings(ex) },
      { method: 'GET', path: '/v1/models', handle: (ex) => this.v1Models(ex) },
    ];
  }

  protected errorFor(status: number, request: RecordedRequest): CannedResponse {
    const native = ollamaError(status);
    if (!request.pathname.startsWith('/v1/')) return native;
    const body = native.body as { error: string };
    return ollamaV1Error(status, body.error);
  }

  protected notFound(): CannedResponse {
    return { status: 404, body: '404 page not found', headers: { 'content-type': 'text/plain' } };
  }

  protected newToolCallId(): string {
    return `call_${randomId(8, 'abcdefghijklmnopqrstuvwxyz0123456789')}`;
  }

  private knows(model: string): boolean {
    return !this.options.rejectUnknownModels || this.models.includes(withTag(model));
  }

  /** Body, model and existence checks shared by the native endpoints. */
  private nativeProblem(request: RecordedRequest, model: unknown): CannedResponse | undefined {
    const raw = request.rawBody.trim();
    if (raw === '') return ollamaError(400, 'missing request body');
    if (!request.body)
      return ollamaError(400, `invalid character '${raw.charAt(0)}' looking for beginning of value`);
    if (typeof model !== 'string' || model === '') return ollamaError(400, 'model is required');
    if (!this.knows(model)) return ollamaError(404, `model '${model}' not found`);
    return undefined;
  }

  /** Silent truncation: the prompt count never exceeds the context window. */
  private replyFor(turns: ChatTurn[], body: Record<string, unknown>): ResolvedReply {
    const options = (body.options ?? {}) as Record<string, unknown>;
    const reply = this.nextReply(turns, numberField(options, 'num_predict'));
    const window = this.options.contextWindowTokens;
    if (window !== undefined && reply.usage.promptTokens > window)
      reply.usage = { ...reply.usage, promptTokens: window };
    return reply;
  }

  private async ndjson(exchange: FakeExchange, lines: Array<Record<string, unknown>>): Promise<void> {
    await exchange.stream({
      format: 'ndjson',
      contentType: 'application/x-ndjson',
      frames: lines.map((line) => ({ data: JSON.stringify(line) })),
      errorFrame: { data: MID_STREAM_ERROR },
    });
  }

  private async chat(exchange: FakeExchange): Promise<void> {
    const body = exchange.body;
    const problem = this.nativeProblem(exchange.request, body.model);
    if (problem) return this.respond(exchange, problem);
    const model = String(body.model);
    const turns = turnsOf(body.messages);
    if (turns.length === 0) {
      const reason = body.keep_alive === 0 ? 'unload' : 'load';
      const empty = {
        text: '',
        chunks: [],
        toolCalls: [],
        finishReason: 'stop' as const,
        usage: { promptTokens: 0, completionTokens: 0 },
      };
      const { total_duration: _t, load_duration: _l, ...done } = chatDone(model, empty, reason);
      return exchange.json(200, done, { 'content-type': JSON_TYPE });
    }
    const reply = this.replyFor(turns, body);
    if (body.stream === false)
      return exchange.json(200, chatDone(model, reply), { 'content-type': JSON_TYPE });
    await this.ndjson(exchange, chatLines(model, reply));
  }

  private async generate(exchange: FakeExchange): Promise<void> {
    const body = exchange.body;
    const problem = this.nativeProblem(exchange.request, body.model);
    if (problem) return this.respond(exchange, problem);
    const model = String(body.model);
    const prompt = typeof body.prompt === 'string' ? body.prompt : '';
    if (prompt === '') {
      const reason = body.keep_alive === 0 ? 'unload' : 'load';
      return exchange.json(
        200,
        { model, created_at: new Date().toISOString(), response: '', done: true, done_reason: reason },
        { 'content-type': JSON_TYPE },
      );
    }
    const system = typeof body.system === 'string' ? [{ role: 'system', text: body.system }] : [];
    const reply = this.replyFor([...system, { role: 'user', text: prompt }], body);
    if (body.stream === false)
      return exchange.json(200, generateDone(model, reply), { 'content-type': JSON_TYPE });
    await this.ndjson(exchange, generateLines(model, reply));
  }

  private dimensions(model: string, requested: number | undefined): number {
    return requested ?? dimensionFor(model, OLLAMA_EMBEDDING_DIMENSIONS, 768);
  }

  private async embed(exchange: FakeExchange): Promise<void> {
    const body = exchange.body;
    const problem = this.nativeProblem(exchange.request, body.model);
    if (problem) return this.respond(exchange, problem);
    const texts = embeddingInputs(body.input) ?? [];
    const window = this.options.contextWindowTokens;
    if (body.truncate === false && window !== undefined && texts.some((t) => countWords(t) > window)) {
      return this.respond(exchange, ollamaError(400, 'the input length exceeds the context length'));
    }
    const model = String(body.model);
    const dims = this.dimensions(model, numberField(body, 'dimensions'));
    const tokens = texts.reduce((n, t) => n + Math.max(1, countWords(t)), 0);
    const { total_duration, load_duration } = metrics({ promptTokens: tokens, completionTokens: 0 });
    await exchange.json(
      200,
      {
        model,
        embeddings: texts.map((t) => embedText(t, dims)),
        total_duration,
        load_duration,
        prompt_eval_count: tokens,
      },
      { 'content-type': JSON_TYPE },
    );
  }

  private async legacyEmbeddings(exchange: FakeExchange): Promise<void> {
    const body = exchange.body;
    const problem = this.nativeProblem(exchange.request, body.model);
    if (problem) return this.respond(exchange, problem);
    const prompt = typeof body.prompt === 'string' ? body.prompt : '';
    const dims = this.dimensions(String(body.model), undefined);
    await exchange.json(200, { embedding: embedText(prompt, dims) }, { 'content-type': JSON_TYPE });
  }

  private async tags(exchange: FakeExchange): Promise<void> {
    await exchange.json(
      200,
      { models: this.models.map((name, i) => tagEntry(name, i)) },
      { 'content-type': JSON_TYPE },
    );
  }

  private async show(exchange: FakeExchange): Promise<void> {
    const body = exchange.body;
    const name = typeof body.model === 'string' ? body.model : body.name;
    if (typeof name !== 'string' || name === '')
      return this.respond(exchange, ollamaError(400, 'model is required'));
    if (!this.models.includes(withTag(name)))
      return this.respond(exchange, ollamaError(404, `model '${name}' not found`));
    const context = this.options.contextWindowTokens ?? 131072;
    await exchange.json(200, showResponse(withTag(name), context), { 'content-type': JSON_TYPE });
  }

  private async v1Chat(exchange: FakeExchange): Promise<void> {
    await serveChatCompletion(exchange, {
      flavour: 'ollama',
      nextReply: (turns, maxTokens) => this.nextReply(turns, maxTokens),
      newCompletionId: () => `chatcmpl-${randomInt(999)}`,
      reject: (body) => {
        const problem = chatBodyProblem(body, (message) => ollamaV1Error(400, message));
        if (problem) return problem;
        return this.knows(String(body.model))
          ? undefined
          : ollamaV1Error(404, `model "${String(body.model)}" not found, try pulling it first`);
      },
      sseContentType: 'text/event-stream',
    });
  }

  private async v1Embeddings(exchange: FakeExchange): Promise<void> {
    await serveEmbeddings(exchange, {
      flavour: 'ollama',
      invalid: (message) => ollamaV1Error(400, message),
      reject: (model) =>
        this.knows(model)
          ? undefined
          : ollamaV1Error(404, `model "${model}" not found, try pulling it first`),
      dimensions: (model, requested) => this.dimensions(model, requested),
    });
  }

  private async v1Models(exchange: FakeExchange): Promise<void> {
    const created = Math.floor(Date.UTC(2024, 11, 7) / 1000);
    const data = this.models.map((id) =>
      modelObject(id, id.includes('/') ? (id.split('/')[0] ?? 'library') : 'library', created),
    );
    await exchange.json(200, { object: 'list', data }, { 'content-type': JSON_TYPE });
  }
}
