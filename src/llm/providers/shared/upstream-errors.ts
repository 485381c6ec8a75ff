import { GatewayError } from '../../../common/errors/gateway-error.js';
import { retryAfterMs, type HeaderBag } from '../../../common/resilience/retry-after.js';

export interface UpstreamFailure {
  provider: string;
  status: number;
  headers: HeaderBag;
  /** The upstream's own error message and code, when its body had them. */
  message?: string;
  code?: string;
  type?: string;
  upstreamRequestId?: string;
}

const CONTEXT_LENGTH =
  /context[_ ]length|context window|maximum context|prompt is too long|too many tokens|exceeds the (model's |available )?(context|maximum)|context size/i;

/** One mapping from an upstream HTTP failure to the gateway's error codes (CONTRACT §5). */
export function mapUpstreamFailure(f: UpstreamFailure): GatewayError {
  const ctx = { provider: f.provider, upstreamStatus: f.status, upstreamRequestId: f.upstreamRequestId };
  const said = f.message ? `: ${f.message}` : '';
  if (
    f.code === 'context_length_exceeded' ||
    (f.status === 400 && f.message && CONTEXT_LENGTH.test(f.message))
  ) {
    return new GatewayError(
      'context_length_exceeded',
      `The ${f.provider} upstream rejected the prompt as too long${said}`,
      {
        ...ctx,
        param: 'messages',
      },
    );
  }
  switch (f.status) {
    case 400:
    case 422:
      return new GatewayError(
        'invalid_request_error',
        `The ${f.provider} upstream rejected the request${said}`,
        ctx,
      );
    case 401:
    case 403:
      return new GatewayError(
        'upstream_error',
        `The ${f.provider} upstream refused the gateway's credentials.`,
        ctx,
      );
    case 404:
      return new GatewayError(
        'model_not_found',
        `The ${f.provider} upstream does not know this model${said}`,
        {
          ...ctx,
          param: 'model',
        },
      );
    case 408:
      return new GatewayError('upstream_timeout', `The ${f.provider} upstream timed out.`, {
        ...ctx,
        retryable: true,
      });
    case 413:
      return new GatewayError(
        'request_too_large',
        `The ${f.provider} upstream rejected the request as too large.`,
        ctx,
      );
    case 429: {
      const quota = f.code === 'insufficient_quota' || f.type === 'insufficient_quota';
      return new GatewayError('rate_limit_exceeded', `The ${f.provider} upstream is rate limiting${said}`, {
        ...ctx,
        retryable: !quota,
        retryAfterMs: retryAfterMs(f.headers) ?? 1000,
      });
    }
    case 503:
    case 529:
      return new GatewayError(
        'upstream_unavailable',
        `The ${f.provider} upstream is overloaded or unavailable.`,
        {
          ...ctx,
          retryable: true,
          retryAfterMs: retryAfterMs(f.headers),
        },
      );
    case 504:
      return new GatewayError('upstream_timeout', `The ${f.provider} upstream timed out.`, {
        ...ctx,
        retryable: true,
      });
    default:
      return new GatewayError('upstream_error', `The ${f.provider} upstream failed (HTTP ${f.status}).`, {
        ...ctx,
        retryable: f.status >= 500,
      });
  }
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]);
const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
]);

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Network-level failures; an abort is re-thrown unchanged so nobody retries it. */
export function mapTransportError(provider: string, err: unknown, signal: AbortSignal): unknown {
  if (err instanceof GatewayError) return err;
  if (signal.aborted) return signal.reason ?? err;
  const code = errorCode(err);
  if (code && TIMEOUT_CODES.has(code)) {
    return new GatewayError('upstream_timeout', `The ${provider} upstream timed out.`, {
      provider,
      retryable: true,
      cause: err,
    });
  }
  if (code && UNAVAILABLE_CODES.has(code)) {
    return new GatewayError('upstream_unavailable', `The ${provider} upstream could not be reached.`, {
      provider,
      retryable: true,
      cause: err,
    });
  }
  return new GatewayError('upstream_error', `The ${provider} upstream call failed.`, {
    provider,
    retryable: true,
    cause: err,
  });
}
