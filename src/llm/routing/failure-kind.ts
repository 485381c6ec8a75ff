import { GatewayError } from '../../common/errors/gateway-error.js';
import type { RetryKind } from '../../config/routing-config.js';

/**
 * What a failed attempt means for routing. `retry` is the retry budget it draws on (undefined: no
 * retry); `fallback` whether another target may succeed; `cool` whether it counts against the
 * target's health, `coolNow` whether one is enough (refused credentials).
 */
export interface FailureKind {
  label: RetryKind | 'auth' | 'quota' | 'not_found' | 'invalid' | 'other';
  retry?: RetryKind;
  fallback: boolean;
  cool: boolean;
  coolNow: boolean;
}

const INVALID: FailureKind = { label: 'invalid', fallback: false, cool: false, coolNow: false };

/** Decided once per error, from the `GatewayError` the provider threw (aborts never get here). */
export function failureKind(err: unknown): FailureKind {
  if (!(err instanceof GatewayError)) {
    return { label: 'other', retry: 'server_error', fallback: true, cool: true, coolNow: false };
  }
  switch (err.code) {
    case 'rate_limit_exceeded':
      // insufficient_quota is a 429 no wait will fix; another provider's account may still work.
      return err.retryable
        ? { label: 'rate_limit', retry: 'rate_limit', fallback: true, cool: true, coolNow: false }
        : { label: 'quota', fallback: true, cool: true, coolNow: true };
    case 'upstream_unavailable':
      return { label: 'unavailable', retry: 'unavailable', fallback: true, cool: true, coolNow: false };
    case 'upstream_timeout':
      return { label: 'timeout', retry: 'timeout', fallback: true, cool: true, coolNow: false };
    case 'upstream_error':
      if (err.upstreamStatus === 401 || err.upstreamStatus === 403) {
        return { label: 'auth', fallback: true, cool: true, coolNow: true };
      }
      return { label: 'server_error', retry: 'server_error', fallback: true, cool: true, coolNow: false };
    case 'model_not_found':
      // The upstream does not serve the configured model: another target may.
      return err.provider ? { label: 'not_found', fallback: true, cool: true, coolNow: false } : INVALID;
    case 'authentication_error':
    case 'context_length_exceeded':
    case 'internal_error':
    case 'invalid_request_error':
    case 'method_not_allowed':
    case 'not_found':
    case 'permission_error':
    case 'request_too_large':
    case 'service_unavailable':
    case 'unsupported_media_type':
    case 'unsupported':
      // 400s (context length included), 413, and the gateway's own refusals: the same request
      // fails the same way everywhere.
      return INVALID;
  }
}
