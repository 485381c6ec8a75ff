import type { FakeExchange } from './fake-exchange.js';
import type { CannedResponse, ChatTurn, ResolvedReply } from './fake-types.js';
import { chatCompletion, chatCompletionChunks, embeddingList, type OpenAiFlavour } from './openai-wire.js';
import { countWords, numberField, turnsOf } from './reply.js';
import { embeddingInputs } from './embeddings.js';
import type { StreamFrame } from './wire-format.js';

/** What an OpenAI-style server decides for itself when serving `/chat/completions`. */
export interface ChatCompletionHost {
  flavour: OpenAiFlavour;
  nextReply(turns: ChatTurn[], maxTokens?: number): ResolvedReply;
  newCompletionId(): string;
  /** A rejection before generation (validation, unknown model, context overflow). */
  reject(body: Record<string, unknown>, turns: ChatTurn[]): CannedResponse | undefined;
  sseContentType: string;
  /** The provider's mid-stream error; undefined ends the stream without a terminator. */
  errorFrame?: StreamFrame;
  azureFirstChunk?: boolean;
  usageChoicesNull?: boolean;
}

export async function serveChatCompletion(exchange: FakeExchange, host: ChatCompletionHost): Promise<void> {
  const body = exchange.body;
  const turns = turnsOf(body.messages);
  const rejection = host.reject(body, turns);
  if (rejection) {
    await exchange.json(rejection.status, rejection.body, rejection.headers);
    return;
  }
  const reply = host.nextReply(turns, numberField(body, 'max_completion_tokens', 'max_tokens'));
  const meta = {
    id: host.newCompletionId(),
    created: Math.floor(Date.now() / 1000),
    model: typeof body.model === 'string' ? body.model : '',
    flavour: host.flavour,
  };
  if (body.stream !== true) {
    await exchange.json(200, chatCompletion(meta, reply));
    return;
  }
  const streamOptions = (body.stream_options ?? {}) as Record<string, unknown>;
  const payloads = chatCompletionChunks(meta, reply, {
    includeUsage: streamOptions.include_usage === true,
    obfuscation: streamOptions.include_obfuscation !== false,
    azureFirstChunk: host.azureFirstChunk,
    usageChoicesNull: host.usageChoicesNull,
  });
  const frames: StreamFrame[] = [...payloads.map((data) => ({ data })), { data: '[DONE]' }];
  await exchange.stream({
    format: 'sse',
    contentType: host.sseContentType,
    frames,
    errorFrame: host.errorFrame,
    keepAliveFrame: { comment: ' keep-alive', data: '' },
  });
}

/** Common request checks of OpenAI-style chat bodies; `invalid(message, param)` builds the 400. */
export function chatBodyProblem(
  body: Record<string, unknown>,
  invalid: (message: string, param: string) => CannedResponse,
): CannedResponse | undefined {
  if (typeof body.model !== 'string' || body.model === '')
    return invalid('you must provide a model parameter', 'model');
  if (!Array.isArray(body.messages)) return invalid("Missing required parameter: 'messages'.", 'messages');
  if (body.messages.length === 0) return invalid("[] is too short - 'messages'", 'messages');
  if (body.stream_options !== undefined && body.stream !== true) {
    return invalid(
      "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
      'stream_options',
    );
  }
  return undefined;
}

export interface EmbeddingsHost {
  flavour: OpenAiFlavour;
  /** The vector size, or a rejection (e.g. `dimensions` on a model that cannot shorten vectors). */
  dimensions(model: string, requested: number | undefined): number | CannedResponse;
  invalid(message: string, param: string): CannedResponse;
  reject?(model: string): CannedResponse | undefined;
}

export async function serveEmbeddings(exchange: FakeExchange, host: EmbeddingsHost): Promise<void> {
  const body = exchange.body;
  const model = typeof body.model === 'string' ? body.model : '';
  const texts = embeddingInputs(body.input);
  const format = body.encoding_format ?? 'float';
  let problem: CannedResponse | undefined;
  if (model === '') problem = host.invalid('you must provide a model parameter', 'model');
  else if (!texts) problem = host.invalid("'input' is a required property", 'input');
  else if (format !== 'float' && format !== 'base64') {
    problem = host.invalid(
      `Invalid value for 'encoding_format' = ${typeof format === 'string' ? format : JSON.stringify(format)}. Supported values: ['float', 'base64'].`,
      'encoding_format',
    );
  } else problem = host.reject?.(model);
  const dimensions = problem ? 0 : host.dimensions(model, numberField(body, 'dimensions'));
  if (problem || typeof dimensions !== 'number') {
    const canned = problem ?? (dimensions as CannedResponse);
    await exchange.json(canned.status, canned.body, canned.headers);
    return;
  }
  const inputs = texts ?? [];
  const promptTokens = inputs.reduce((n, t) => n + Math.max(1, countWords(t)), 0);
  await exchange.json(
    200,
    embeddingList({ model, texts: inputs, dimensions, base64: format === 'base64', promptTokens }),
  );
}
