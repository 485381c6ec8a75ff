import { type PipeTransform, Injectable } from '@nestjs/common';
import { GatewayError } from '../../common/errors/gateway-error.js';
import type { ChatCompletionRequestDto } from './chat-completion.request.dto.js';
import { isChatMessageList } from './chat-message.validation.js';

/** A field's check: the problem (without the field name), or undefined when the value is fine. */
type Check = (v: unknown) => string | undefined;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const string: Check = (v) => (typeof v === 'string' ? undefined : 'must be a string');
const boolean: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be a boolean value');
const object: Check = (v) => (isObject(v) ? undefined : 'must be an object');

function number(min: number, max: number, integer = false): Check {
  return (v) => {
    if (typeof v !== 'number' || !Number.isFinite(v))
      return integer ? 'must be an integer number' : 'must be a number';
    if (integer && !Number.isInteger(v)) return 'must be an integer number';
    if (v < min) return `must not be less than ${min}`;
    if (v > max) return `must not be greater than ${max}`;
    return undefined;
  };
}

const stop: Check = (v) =>
  typeof v === 'string' || (Array.isArray(v) && v.length <= 4 && v.every((s) => typeof s === 'string'))
    ? undefined
    : 'must be a string or an array of up to 4 strings';

const streamOptions: Check = (v) => {
  if (!isObject(v)) return 'must be an object';
  if (v.include_usage !== undefined && typeof v.include_usage !== 'boolean')
    return 'include_usage must be a boolean value';
  return undefined;
};

const SERVICE_TIERS = new Set(['auto', 'default', 'flex', 'priority']);

/**
 * The same rules as the decorators on `ChatCompletionRequestDto` (which stay for the OpenAPI
 * document), checked in one pass: class-validator cost about 25 µs per request on this route, the
 * largest single item of the gateway's own CPU time. Unknown fields are dropped, as the global
 * pipe's `whitelist` does.
 */
const CHECKS: Readonly<Record<keyof ChatCompletionRequestDto, Check>> = {
  model: string,
  messages: (v) => isChatMessageList(v),
  stream: boolean,
  stream_options: streamOptions,
  temperature: number(0, 2),
  top_p: number(0, 1),
  max_tokens: number(1, Number.MAX_SAFE_INTEGER, true),
  max_completion_tokens: number(1, Number.MAX_SAFE_INTEGER, true),
  stop,
  seed: number(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, true),
  user: string,
  n: number(1, 1, true),
  presence_penalty: number(-2, 2),
  frequency_penalty: number(-2, 2),
  response_format: object,
  tools: (v) => (Array.isArray(v) ? undefined : 'must be an array'),
  tool_choice: () => undefined,
  parallel_tool_calls: boolean,
  conversation_id: string,
  template: object,
  context: object,
  cache: object,
  fallbacks: (v) =>
    Array.isArray(v) && v.length <= 5 && v.every((m) => typeof m === 'string' && m.length > 0)
      ? undefined
      : 'must be an array of up to 5 model names',
  service_tier: (v) =>
    typeof v === 'string' && SERVICE_TIERS.has(v)
      ? undefined
      : `must be one of the following values: ${[...SERVICE_TIERS].join(', ')}`,
};

const REQUIRED: ReadonlySet<string> = new Set(['model', 'messages']);
const FIELDS = Object.keys(CHECKS) as Array<keyof ChatCompletionRequestDto>;

export function validateChatCompletionRequest(body: unknown): ChatCompletionRequestDto {
  if (!isObject(body)) {
    throw new GatewayError('invalid_request_error', 'The request body must be a JSON object.', {
      param: 'body',
    });
  }
  const out: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const value = body[field];
    if (value === undefined || (value === null && !REQUIRED.has(field))) continue;
    const problem = CHECKS[field](value);
    if (problem !== undefined) {
      // The messages check names its own path (`messages.0.role ...`).
      const param =
        // eslint-disable-next-line security/detect-unsafe-regex -- runs on the validator's own short message; linear (each repetition starts with a dot)
        field === 'messages' ? (/^messages(\.\d+)*(\.[a-z_]+)?/.exec(problem)?.[0] ?? field) : field;
      const message = field === 'messages' ? problem : `${field} ${problem}`;
      throw new GatewayError('invalid_request_error', `Invalid '${param}': ${message}`, { param });
    }
    out[field] = value;
  }
  for (const field of REQUIRED) {
    if (out[field] === undefined) {
      throw new GatewayError('invalid_request_error', `Invalid '${field}': ${field} is required`, {
        param: field,
      });
    }
  }
  return out as unknown as ChatCompletionRequestDto;
}

/** Route pipe for the chat body; the global ValidationPipe skips DTOs marked `selfValidating`. */
@Injectable()
export class ChatCompletionRequestPipe implements PipeTransform<unknown, ChatCompletionRequestDto> {
  transform(value: unknown): ChatCompletionRequestDto {
    return validateChatCompletionRequest(value);
  }
}
