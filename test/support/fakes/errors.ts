import { randomBytes, randomUUID } from 'node:crypto';
import type { CannedResponse } from './fake-types.js';
import { randomId } from './reply.js';

export interface RetryHeaders {
  /** `retry-after` in seconds (SDKs ignore values >= 60). */
  retryAfter?: string;
  /** `retry-after-ms` (Azure style; honoured by the Stainless SDKs). */
  retryAfterMs?: string;
  /** `x-should-retry`. */
  shouldRetry?: boolean;
}

export interface OpenAiErrorOptions extends RetryHeaders {
  message?: string;
  type?: string;
  param?: string | null;
}

export const OPENAI_RATE_LIMIT_MESSAGE =
  'Rate limit reached for gpt-4o-mini in organization org-fake on tokens per min (TPM): Limit 200000, Used 195869, Requested 4412. Please try again in 84ms. Visit https://platform.openai.com/account/rate-limits to learn more.';

const OPENAI_DEFAULTS: Record<string, { type: string; message: string; param?: string }> = {
  context_length_exceeded: {
    type: 'invalid_request_error',
    param: 'messages',
    message:
      "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. Please reduce the length of the messages.",
  },
  invalid_api_key: {
    type: 'invalid_request_error',
    message:
      'Incorrect API key provided: sk-false. You can find your API key at https://platform.openai.com/account/api-keys.',
  },
  model_not_found: {
    type: 'invalid_request_error',
    message: 'The model `gpt-4` does not exist or you do not have access to it.',
  },
  rate_limit_exceeded: { type: 'tokens', message: OPENAI_RATE_LIMIT_MESSAGE },
  insufficient_quota: {
    type: 'insufficient_quota',
    message:
      'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
  },
};

function openAiStatusDefaults(status: number): { type: string; message: string } {
  if (status === 429) return { type: 'requests', message: OPENAI_RATE_LIMIT_MESSAGE };
  if (status === 503)
    return { type: 'server_error', message: 'The engine is currently overloaded, please try again later' };
  if (status >= 500) {
    return {
      type: 'server_error',
      message: 'The server had an error while processing your request. Sorry about that!',
    };
  }
  return { type: 'invalid_request_error', message: 'Invalid request.' };
}

export function openAiRequestId(): string {
  return `req_${randomBytes(16).toString('hex')}`;
}

function retryHeaders(options: RetryHeaders): Record<string, string> {
  const headers: Record<string, string> = {};
  if (options.retryAfter !== undefined) headers['retry-after'] = options.retryAfter;
  if (options.retryAfterMs !== undefined) headers['retry-after-ms'] = options.retryAfterMs;
  if (options.shouldRetry !== undefined) headers['x-should-retry'] = String(options.shouldRetry);
  return headers;
}

/** `{"error":{"message","type","param","code"}}`, e.g. `openAiError(429, 'rate_limit_exceeded', { retryAfter: '2' })`. */
export function openAiError(
  status: number,
  code: string | null = null,
  options: OpenAiErrorOptions = {},
): CannedResponse {
  const known = code === null ? undefined : OPENAI_DEFAULTS[code];
  const fallback = openAiStatusDefaults(status);
  const error = {
    message: options.message ?? known?.message ?? fallback.message,
    type: options.type ?? known?.type ?? fallback.type,
    param: options.param !== undefined ? options.param : (known?.param ?? null),
    code,
  };
  return {
    status,
    body: { error },
    headers: {
      'content-type': 'application/json',
      'x-request-id': openAiRequestId(),
      ...retryHeaders(options),
    },
  };
}

export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'conflict_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'api_error'
  | 'timeout_error'
  | 'overloaded_error';

const ANTHROPIC_BY_STATUS: Record<number, { type: AnthropicErrorType; message: string }> = {
  400: { type: 'invalid_request_error', message: 'Invalid request.' },
  401: { type: 'authentication_error', message: 'invalid x-api-key' },
  402: { type: 'billing_error', message: 'Your credit balance is too low to access the Anthropic API.' },
  403: {
    type: 'permission_error',
    message: 'Your API key does not have permission to use the specified resource.',
  },
  404: { type: 'not_found_error', message: 'The requested resource could not be found.' },
  409: { type: 'conflict_error', message: 'Conflict.' },
  413: { type: 'request_too_large', message: 'Request exceeds the maximum allowed number of bytes.' },
  429: {
    type: 'rate_limit_error',
    message:
      'Number of request tokens has exceeded your per-minute rate limit (https://docs.anthropic.com/en/api/rate-limits); see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. You may also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.',
  },
  500: { type: 'api_error', message: 'Internal server error' },
  504: { type: 'timeout_error', message: 'Request timed out' },
  529: { type: 'overloaded_error', message: 'Overloaded' },
};

export interface AnthropicErrorOptions extends RetryHeaders {
  type?: AnthropicErrorType;
  message?: string;
  requestId?: string;
}

export function anthropicRequestId(): string {
  return `req_011C${randomId(20)}`;
}

/** RFC 3339 timestamp (seconds precision) `seconds` from now, as in `anthropic-ratelimit-*-reset`. */
export function rfc3339In(seconds: number): string {
  return new Date(Date.now() + seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function anthropicRateLimitHeaders(remainingFraction = 1): Record<string, string> {
  const headers: Record<string, string> = {};
  const limits: Array<[string, number]> = [
    ['input-tokens', 80000],
    ['output-tokens', 16000],
    ['requests', 1000],
    ['tokens', 96000],
  ];
  for (const [name, limit] of limits) {
    const remaining = Math.floor(limit * remainingFraction);
    headers[`anthropic-ratelimit-${name}-limit`] = String(limit);
    headers[`anthropic-ratelimit-${name}-remaining`] = String(
      name === 'requests' ? remaining : Math.round(remaining / 1000) * 1000,
    );
    headers[`anthropic-ratelimit-${name}-reset`] = rfc3339In(name === 'output-tokens' ? 2 : 1);
  }
  return headers;
}

/** `{"type":"error","error":{type,message},"request_id"}` with a matching `request-id` header. */
export function anthropicError(status: number, options: AnthropicErrorOptions = {}): CannedResponse {
  const preset =
    ANTHROPIC_BY_STATUS[status] ?? (status >= 500 ? ANTHROPIC_BY_STATUS[500] : ANTHROPIC_BY_STATUS[400]);
  const requestId = options.requestId ?? anthropicRequestId();
  const headers: Record<string, string> = { 'content-type': 'application/json', 'request-id': requestId };
  if (status === 429) Object.assign(headers, anthropicRateLimitHeaders(0));
  return {
    status,
    body: {
      type: 'error',
      error: {
        type: options.type ?? preset?.type ?? 'api_error',
        message: options.message ?? preset?.message ?? 'Error',
      },
      request_id: requestId,
    },
    headers: { ...headers, ...retryHeaders(options) },
  };
}

export const OLLAMA_QUEUE_FULL = 'server busy, please try again.  maximum pending requests exceeded';

const OLLAMA_BY_STATUS: Record<number, string> = {
  400: 'missing request body',
  401: 'unauthorized',
  404: "model 'llama9' not found",
  429: 'too many requests',
  499: 'request canceled',
  500: 'the model failed to generate a response',
  502: 'bad gateway',
  503: OLLAMA_QUEUE_FULL,
};

/** `{"error":"<message>"}` with Gin's `application/json; charset=utf-8`. */
export function ollamaError(status: number, message?: string): CannedResponse {
  return {
    status,
    body: {
      error: message ?? OLLAMA_BY_STATUS[status] ?? 'an error was encountered while running the model',
    },
    headers: { 'content-type': 'application/json; charset=utf-8' },
  };
}

export interface LiteLlmErrorOptions extends RetryHeaders {
  type?: string;
  param?: string;
}

const LITELLM_BY_STATUS: Record<number, { message: string; type: string; param: string }> = {
  400: { message: 'litellm.BadRequestError: Invalid request.', type: 'None', param: 'None' },
  401: {
    message:
      'Authentication Error, Invalid proxy server token passed. Received API Key = sk-...fake, Key Hash (Token) =5699fake7585. Unable to find token in cache or `LiteLLM_VerificationTokenTable`',
    type: 'token_not_found_in_db',
    param: 'key',
  },
  429: {
    message:
      'litellm.RateLimitError: RateLimitError: OpenAIException - Rate limit reached for requests. Received Model Group=gpt-4o\nAvailable Model Group Fallbacks=None',
    type: 'throttling_error',
    param: 'None',
  },
  500: {
    message: 'litellm.InternalServerError: InternalServerError: OpenAIException - Connection error.',
    type: 'None',
    param: 'None',
  },
};

/** LiteLLM's envelope: `code` is the status as a string, `type`/`param` often the string `"None"`. */
export function liteLlmError(
  status: number,
  message?: string,
  options: LiteLlmErrorOptions = {},
): CannedResponse {
  const preset =
    LITELLM_BY_STATUS[status] ?? (status >= 500 ? LITELLM_BY_STATUS[500] : LITELLM_BY_STATUS[400]);
  return {
    status,
    body: {
      error: {
        message: message ?? preset?.message ?? 'Error',
        type: options.type ?? preset?.type ?? 'None',
        param: options.param ?? preset?.param ?? 'None',
        code: String(status),
      },
    },
    headers: {
      'content-type': 'application/json',
      'x-litellm-call-id': randomUUID(),
      'x-litellm-version': LITELLM_VERSION,
      ...retryHeaders(options),
    },
  };
}

export const LITELLM_VERSION = '1.74.9';
