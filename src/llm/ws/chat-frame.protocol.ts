import { toErrorResponse } from '../../common/errors/error-envelope.js';
import { GatewayError } from '../../common/errors/gateway-error.js';
import type { CacheOutcome } from '../../cache/response-cache.service.js';
import type { FinishReason, Usage } from '../core/chat.types.js';
import type { ChatCompletionRequestDto } from '../dto/chat-completion.request.dto.js';
import { validateChatCompletionRequest } from '../dto/chat-completion.request.validation.js';

/** Request ids are the client's own; this bounds what the gateway keeps per request. */
export const MAX_REQUEST_ID_LENGTH = 128;

/** What a client may send on `/ws/chat`. */
export type ClientFrame =
  | { type: 'chat.request'; id: string; body: ChatCompletionRequestDto }
  | { type: 'chat.cancel'; id: string };

export type ParsedFrame =
  | { ok: true; frame: ClientFrame }
  /** `id` is the frame's request id when it had a usable one, else null. */
  | { ok: false; id: string | null; error: GatewayError };

function invalid(id: string | null, message: string, param?: string): ParsedFrame {
  return { ok: false, id, error: new GatewayError('invalid_request_error', message, { param }) };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function requestId(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_REQUEST_ID_LENGTH ? v : null;
}

/**
 * Parses one text frame. The chat body is checked by the same validator as
 * `POST /v1/chat/completions`; the problems come back as errors naming the frame's id when it had
 * one, so the client knows which request failed.
 */
export function parseClientFrame(text: string): ParsedFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return invalid(null, 'The frame is not valid JSON.');
  }
  if (!isObject(value)) return invalid(null, 'A frame must be a JSON object with a "type" and an "id".');
  const id = requestId(value.id);
  const type = value.type;
  if (type !== 'chat.request' && type !== 'chat.cancel') {
    const named = typeof type === 'string' ? ` '${type.slice(0, 64)}'` : '';
    return invalid(id, `Unknown frame type${named}: expected chat.request or chat.cancel.`, 'type');
  }
  if (id === null) {
    return invalid(null, `Invalid 'id': must be a string of 1 to ${MAX_REQUEST_ID_LENGTH} characters.`, 'id');
  }
  if (type === 'chat.cancel') return { ok: true, frame: { type, id } };
  if (!isObject(value.body))
    return invalid(id, "Invalid 'body': must be a chat completions request object.", 'body');
  try {
    return { ok: true, frame: { type, id, body: validateChatCompletionRequest(value.body) } };
  } catch (err) {
    if (err instanceof GatewayError) return { ok: false, id, error: err };
    throw err;
  }
}

export interface ToolCallDelta {
  index: number;
  id?: string;
  name?: string;
  argumentsDelta: string;
}

/** `{"type":"chat.delta","id","delta":"text"}` */
export function deltaFrame(id: string, text: string): string {
  return JSON.stringify({ type: 'chat.delta', id, delta: text });
}

/**
 * A tool-call fragment: a `chat.delta` with an empty `delta` and OpenAI's `delta.tool_calls` entry
 * (index, and id/type/name on a call's first fragment), so clients that only append `delta` keep working.
 */
export function toolCallFrame(id: string, t: ToolCallDelta): string {
  const call = {
    index: t.index,
    ...(t.id === undefined ? {} : { id: t.id, type: 'function' }),
    function: { ...(t.name === undefined ? {} : { name: t.name }), arguments: t.argumentsDelta },
  };
  return JSON.stringify({ type: 'chat.delta', id, delta: '', tool_calls: [call] });
}

export function doneFrame(id: string, finishReason: FinishReason, usage: Usage, cache: CacheOutcome): string {
  return JSON.stringify({
    type: 'chat.done',
    id,
    finish_reason: finishReason,
    usage: {
      prompt_tokens: usage.promptTokens,
      completion_tokens: usage.completionTokens,
      total_tokens: usage.totalTokens,
    },
    cache,
  });
}

/** The REST error envelope's fields, plus `retry_after` (seconds) where REST sends `Retry-After`. */
export function errorFrame(id: string | null, error: GatewayError, requestId?: string): string {
  const { body, headers } = toErrorResponse(error, requestId);
  const e = body.error;
  const retryAfter = headers['retry-after'];
  return JSON.stringify({
    type: 'chat.error',
    id,
    error: {
      type: e.type,
      code: e.code,
      message: e.message,
      ...(e.param === null ? {} : { param: e.param }),
      ...(retryAfter === undefined ? {} : { retry_after: Number(retryAfter) }),
    },
  });
}
