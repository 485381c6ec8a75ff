import { randomBytes } from 'node:crypto';
import { GatewayError } from '../../../common/errors/gateway-error.js';
import type {
  ChatMessage,
  ChatRequest,
  ChatResult,
  ContentPart,
  FinishReason,
  ToolCall,
  Usage,
} from '../../core/chat.types.js';
import type {
  OllamaChatBody,
  OllamaChatResponse,
  OllamaErrorBody,
  OllamaMessage,
  OllamaOptions,
  OllamaToolCall,
} from './ollama.wire.js';

export const OLLAMA_PROVIDER = 'ollama';

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomId(length: number): string {
  return Array.from(randomBytes(length), (b) => ID_ALPHABET[b % ID_ALPHABET.length]).join('');
}

/** Ollama has no completion id; the gateway makes one in OpenAI's style. */
export function newCompletionId(): string {
  return `chatcmpl-ollama-${randomId(24)}`;
}

/** `call_` + 8 characters, the form current Ollama versions use themselves. */
export function newToolCallId(): string {
  return `call_${randomId(8)}`;
}

function invalid(message: string, param: string): GatewayError {
  return new GatewayError('invalid_request_error', message, { provider: OLLAMA_PROVIDER, param });
}

// eslint-disable-next-line security/detect-unsafe-regex -- linear: parameters are delimited by ';', which the repeated class excludes
const DATA_URL = /^data:[^;,]*(?:;[^;,]*)*;base64,(.*)$/s;

function imageBase64(url: string, at: string): string {
  const match = DATA_URL.exec(url);
  if (!match?.[1]) {
    throw new GatewayError('unsupported', 'Ollama takes images only as base64 `data:` URLs.', {
      provider: OLLAMA_PROVIDER,
      param: at,
    });
  }
  return match[1];
}

function splitContent(
  content: string | ContentPart[] | null,
  at: string,
): { text: string; images: string[] } {
  if (content === null) return { text: '', images: [] };
  if (typeof content === 'string') return { text: content, images: [] };
  const texts: string[] = [];
  const images: string[] = [];
  content.forEach((part, i) => {
    if (part.type === 'text') texts.push(part.text);
    else images.push(imageBase64(part.image_url.url, `${at}.content[${i}]`));
  });
  return { text: texts.join('\n'), images };
}

function toolArguments(raw: string, at: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.trim() === '' ? '{}' : raw);
  } catch {
    throw invalid('Tool call arguments must be valid JSON.', at);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalid('Tool call arguments must be a JSON object.', at);
  }
  return parsed as Record<string, unknown>;
}

function toOllamaToolCalls(calls: ToolCall[], at: string): OllamaToolCall[] {
  return calls.map((c, i) => ({
    id: c.id,
    function: {
      index: i,
      name: c.function.name,
      arguments: toolArguments(c.function.arguments, `${at}.tool_calls[${i}].function.arguments`),
    },
  }));
}

function toOllamaMessage(m: ChatMessage, at: string, toolNames: Map<string, string>): OllamaMessage {
  const { text, images } = splitContent(m.content, at);
  const out: OllamaMessage = { role: m.role === 'developer' ? 'system' : m.role, content: text };
  if (images.length > 0) out.images = images;
  if (m.role === 'assistant' && m.tool_calls?.length) {
    out.tool_calls = toOllamaToolCalls(m.tool_calls, at);
    for (const c of m.tool_calls) toolNames.set(c.id, c.function.name);
  }
  if (m.role === 'tool') {
    const name = (m.tool_call_id === undefined ? undefined : toolNames.get(m.tool_call_id)) ?? m.name;
    if (name !== undefined) out.tool_name = name;
  }
  return out;
}

function toOptions(req: ChatRequest): OllamaOptions | undefined {
  const options: OllamaOptions = {};
  if (req.temperature !== undefined) options.temperature = req.temperature;
  if (req.topP !== undefined) options.top_p = req.topP;
  if (req.maxTokens !== undefined) options.num_predict = req.maxTokens;
  if (req.stop !== undefined && req.stop.length > 0) options.stop = req.stop;
  if (req.seed !== undefined) options.seed = req.seed;
  return Object.keys(options).length > 0 ? options : undefined;
}

/** Settings `/api/chat` has no equivalent for; the call proceeds without them. */
function unsupportedWarnings(req: ChatRequest): string[] {
  const warnings: string[] = [];
  if (req.presencePenalty !== undefined)
    warnings.push('presence_penalty is not supported by ollama and was ignored.');
  if (req.frequencyPenalty !== undefined)
    warnings.push('frequency_penalty is not supported by ollama and was ignored.');
  const choice = req.toolChoice;
  if (choice !== undefined && choice !== 'auto' && choice !== 'none') {
    warnings.push('tool_choice other than "auto" is not supported by ollama and was ignored.');
  }
  if (req.parallelToolCalls === false) {
    warnings.push('parallel_tool_calls=false is not supported by ollama and was ignored.');
  }
  return warnings;
}

/** ChatRequest → `POST /api/chat` body, plus the settings that had to be dropped. */
export function toOllamaBody(
  req: ChatRequest,
  stream: boolean,
): { body: OllamaChatBody; warnings: string[] } {
  const toolNames = new Map<string, string>();
  const messages = req.messages.map((m, i) => toOllamaMessage(m, `messages[${i}]`, toolNames));
  const body: OllamaChatBody = { model: req.model, messages, stream };
  // `tool_choice: "none"` is honoured by not offering the tools at all.
  if (req.tools?.length && req.toolChoice !== 'none') body.tools = req.tools;
  const format = req.responseFormat;
  if (format?.type === 'json_object') body.format = 'json';
  else if (format?.type === 'json_schema') body.format = format.json_schema.schema ?? 'json';
  const options = toOptions(req);
  if (options) body.options = options;
  return { body, warnings: unsupportedWarnings(req) };
}

/** Ollama's tool calls → OpenAI's, arguments re-encoded as a JSON string. */
export function fromOllamaToolCalls(calls: OllamaToolCall[] | null | undefined): ToolCall[] {
  return (calls ?? []).map((c) => ({
    id: typeof c.id === 'string' && c.id !== '' ? c.id : newToolCallId(),
    type: 'function',
    function: { name: c.function.name, arguments: JSON.stringify(c.function.arguments ?? {}) },
  }));
}

/** `done_reason` is `stop` even when the model called tools; `load`/`unload` carry no text. */
export function toFinishReason(doneReason: string | undefined, calledTools: boolean): FinishReason {
  if (calledTools) return 'tool_calls';
  return doneReason === 'length' ? 'length' : 'stop';
}

/** Ollama omits zero-valued counts. */
export function toUsage(r: OllamaChatResponse): Usage {
  const promptTokens = r.prompt_eval_count ?? 0;
  const completionTokens = r.eval_count ?? 0;
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}

function createdSeconds(createdAt: string | undefined): number {
  const ms = createdAt === undefined ? Number.NaN : Date.parse(createdAt);
  return Math.floor((Number.isNaN(ms) ? Date.now() : ms) / 1000);
}

export function fromOllamaChat(
  r: OllamaChatResponse,
  requestedModel: string,
  warnings: string[],
): ChatResult {
  const toolCalls = fromOllamaToolCalls(r.message?.tool_calls);
  const text = r.message?.content ?? '';
  return {
    id: newCompletionId(),
    model: r.model ?? requestedModel,
    created: createdSeconds(r.created_at),
    content: text === '' && toolCalls.length > 0 ? null : text,
    toolCalls: toolCalls.length > 0 ? toolCalls : undefined,
    finishReason: toFinishReason(r.done_reason, toolCalls.length > 0),
    usage: toUsage(r),
    warnings,
  };
}

/** Ollama's errors are `{"error":"<message>"}`. */
export function readOllamaError(body: unknown): { message?: string } {
  const e = (body as OllamaErrorBody | undefined)?.error;
  return typeof e === 'string' ? { message: e } : {};
}
