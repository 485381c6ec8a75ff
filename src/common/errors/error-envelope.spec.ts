import { ERROR_CODES, type GatewayErrorCode } from './error-codes.js';
import { toErrorResponse, toGatewayError } from './error-envelope.js';
import { GatewayError } from './gateway-error.js';

describe('error envelope', () => {
  const expected: Array<[GatewayErrorCode, number]> = [
    ['invalid_request_error', 400],
    ['context_length_exceeded', 400],
    ['authentication_error', 401],
    ['permission_error', 403],
    ['model_not_found', 404],
    ['not_found', 404],
    ['request_too_large', 413],
    ['rate_limit_exceeded', 429],
    ['internal_error', 500],
    ['upstream_error', 502],
    ['upstream_unavailable', 503],
    ['upstream_timeout', 504],
  ];

  it.each(expected)('%s → %i in the OpenAI envelope', (code, status) => {
    const r = toErrorResponse(new GatewayError(code, 'msg', { param: 'model' }));
    expect(r.status).toBe(status);
    expect(r.body).toEqual({ error: { message: 'msg', type: ERROR_CODES[code].type, code, param: 'model' } });
  });

  it('carries Retry-After (rounded up to seconds) and the provider', () => {
    const r = toErrorResponse(
      new GatewayError('rate_limit_exceeded', 'slow down', { retryAfterMs: 1200, provider: 'openai' }),
    );
    expect(r.headers).toEqual({ 'retry-after': '2', 'x-gateway-provider': 'openai' });
    expect(r.body.error.param).toBeNull();
  });

  it('hides the message of internal errors behind the request id', () => {
    const r = toErrorResponse(toGatewayError(new Error('password=hunter2 at /srv/app.js:12')), 'req-1');
    expect(r.status).toBe(500);
    expect(r.body.error.message).toBe('Internal server error (request id req-1).');
  });

  it('maps Fastify parser errors by code', () => {
    expect(toGatewayError({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }, 100).code).toBe(
      'request_too_large',
    );
    expect(toGatewayError({ code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 }).message).toMatch(
      /not valid JSON/,
    );
    expect(toGatewayError({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }).code).toBe(
      'unsupported_media_type',
    );
    expect(toGatewayError({ statusCode: 404 }).code).toBe('not_found');
    expect(toGatewayError('a string').code).toBe('internal_error');
  });
});
