import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiResponse } from '@nestjs/swagger';

class ErrorBodyDto {
  @ApiProperty({ example: "Invalid 'model': model must be a string" })
  message: string;
  @ApiProperty({ example: 'invalid_request_error' })
  type: string;
  @ApiProperty({ example: 'invalid_request_error' })
  code: string;
  @ApiProperty({ type: String, nullable: true, example: 'model' })
  param: string | null;
}

/** OpenAI's error envelope, as documented in the OpenAPI document. */
export class ErrorEnvelopeDto {
  @ApiProperty({ type: ErrorBodyDto })
  error: ErrorBodyDto;
}

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (`invalid_request_error`, `context_length_exceeded`)',
  401: 'Missing or invalid API key (`authentication_error`)',
  403: 'Key not allowed (`permission_error`)',
  404: 'Not found (`model_not_found`, `not_found`)',
  413: 'Body over MAX_BODY_BYTES (`request_too_large`)',
  429: 'Rate limited (`rate_limit_exceeded`), with Retry-After',
  500: 'Internal error (`internal_error`); the message carries the request id',
  502: 'Upstream failed (`upstream_error`)',
  503: 'Upstream or gateway unavailable (`upstream_unavailable`, `service_unavailable`)',
  504: 'Upstream timed out (`upstream_timeout`)',
};

/** Documents the error responses a route can give, all in the same envelope. */
export function ApiErrorResponses(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({ status, description: DESCRIPTIONS[status] ?? 'Error', type: ErrorEnvelopeDto }),
    ),
  );
}
