import { ERROR_CODES } from './error-codes.js';
import { GatewayError } from './gateway-error.js';

/** OpenAI's error body. */
export interface ErrorEnvelope {
  error: { message: string; type: string; code: string; param: string | null };
}

export interface ErrorResponse {
  status: number;
  body: ErrorEnvelope;
  headers: Record<string, string>;
}

/** Framework and parser errors carry a status and sometimes a Fastify/Node code; map them once here. */
interface StatusLike {
  statusCode?: unknown;
  status?: unknown;
  code?: unknown;
  message?: unknown;
}

const FRAMEWORK_CODES: Record<string, () => GatewayError> = {
  FST_ERR_CTP_INVALID_JSON_BODY: () =>
    new GatewayError('invalid_request_error', 'The request body is not valid JSON.'),
  FST_ERR_CTP_EMPTY_JSON_BODY: () =>
    new GatewayError(
      'invalid_request_error',
      'The request body is empty but Content-Type is application/json.',
    ),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    new GatewayError('unsupported_media_type', 'Unsupported Content-Type; send application/json.'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    new GatewayError('invalid_request_error', 'Content-Length does not match the body.'),
};

/** Turns anything thrown into a `GatewayError`; unknown errors become a 500 with no internals. */
export function toGatewayError(err: unknown, maxBodyBytes?: number): GatewayError {
  if (err instanceof GatewayError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as StatusLike;
  const fwCode = typeof e.code === 'string' ? e.code : undefined;
  if (fwCode === 'FST_ERR_CTP_BODY_TOO_LARGE' || e.statusCode === 413 || e.status === 413) {
    const limit = maxBodyBytes ? ` of ${maxBodyBytes} bytes` : '';
    return new GatewayError('request_too_large', `The request body exceeds the limit${limit}.`);
  }
  if (fwCode && FRAMEWORK_CODES[fwCode]) return FRAMEWORK_CODES[fwCode]();
  if (err instanceof SyntaxError && e.statusCode === 400) {
    return new GatewayError('invalid_request_error', 'The request body is not valid JSON.');
  }
  const status =
    typeof e.statusCode === 'number' ? e.statusCode : typeof e.status === 'number' ? e.status : 500;
  switch (status) {
    case 400:
      return new GatewayError('invalid_request_error', 'The request is malformed.');
    case 404:
      return new GatewayError('not_found', 'No such route.');
    case 405:
      return new GatewayError('method_not_allowed', 'Method not allowed on this route.');
    case 401:
      return new GatewayError('authentication_error', 'Authentication required.');
    case 403:
      return new GatewayError('permission_error', 'Not allowed.');
    case 415:
      return new GatewayError('unsupported_media_type', 'Unsupported Content-Type; send application/json.');
    case 429:
      return new GatewayError('rate_limit_exceeded', 'Too many requests.');
    case 503:
      return new GatewayError('service_unavailable', 'Service unavailable.');
    default:
      return new GatewayError('internal_error', 'Internal server error.', { cause: err });
  }
}

export function toErrorResponse(error: GatewayError, requestId?: string): ErrorResponse {
  const { status, type } = ERROR_CODES[error.code];
  const headers: Record<string, string> = { ...error.headers };
  let message = error.message;
  if (error.code === 'internal_error' && requestId)
    message = `Internal server error (request id ${requestId}).`;
  if (error.retryAfterMs !== undefined)
    headers['retry-after'] = String(Math.max(1, Math.ceil(error.retryAfterMs / 1000)));
  if (error.provider) headers['x-gateway-provider'] = error.provider;
  return {
    status,
    headers,
    body: { error: { message, type, code: error.code, param: error.param ?? null } },
  };
}
