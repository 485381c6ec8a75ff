import { ERROR_CODES, type GatewayErrorCode } from './error-codes.js';

export interface GatewayErrorOptions {
  /** The request field at fault, reported as the envelope's `param`. */
  param?: string;
  /** Whether the same request may succeed if tried again (decided once, where the error is made). */
  retryable?: boolean;
  retryAfterMs?: number;
  /** The upstream target involved, e.g. `openai`. */
  provider?: string;
  upstreamRequestId?: string;
  upstreamStatus?: number;
  /** Extra response headers (rate-limit state, say); never secrets. */
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * The one error type services throw. Its code decides the HTTP status and envelope; the message is
 * safe to show to the client (no secrets, no internals).
 */
export class GatewayError extends Error {
  readonly param?: string;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly provider?: string;
  readonly upstreamRequestId?: string;
  readonly upstreamStatus?: number;
  readonly headers?: Record<string, string>;

  constructor(
    readonly code: GatewayErrorCode,
    message: string,
    options: GatewayErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.param = options.param;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.provider = options.provider;
    this.upstreamRequestId = options.upstreamRequestId;
    this.upstreamStatus = options.upstreamStatus;
    this.headers = options.headers;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}
