import { type ArgumentMetadata, ValidationPipe, type ValidationError } from '@nestjs/common';
import { GatewayError } from '../errors/gateway-error.js';

/** Depth-first: the first failing leaf, as a dotted path (`messages.0.role`) and its message. */
function firstFailure(
  errors: readonly ValidationError[],
  prefix = '',
): { param: string; message: string } | undefined {
  for (const e of errors) {
    const param = prefix ? `${prefix}.${e.property}` : e.property;
    const constraint = e.constraints ? Object.values(e.constraints)[0] : undefined;
    if (constraint) return { param, message: constraint };
    const nested = firstFailure(e.children ?? [], param);
    if (nested) return nested;
  }
  return undefined;
}

/** A DTO class whose route validates it with a pipe of its own (a hot path); the global pipe skips it. */
export interface SelfValidating {
  readonly selfValidating: true;
}

class GatewayValidationPipe extends ValidationPipe {
  protected override toValidate(metadata: ArgumentMetadata): boolean {
    const type = metadata.metatype as Partial<SelfValidating> | undefined;
    return type?.selfValidating === true ? false : super.toValidate(metadata);
  }
}

/** class-validator at the edge; failures become 400 `invalid_request_error` naming the field in `param`. */
export function createValidationPipe(): ValidationPipe {
  return new GatewayValidationPipe({
    transform: true,
    whitelist: true,
    forbidUnknownValues: true,
    stopAtFirstError: true,
    exceptionFactory: (errors) => {
      const failure = firstFailure(errors) ?? { param: 'body', message: 'invalid request body' };
      return new GatewayError('invalid_request_error', `Invalid '${failure.param}': ${failure.message}`, {
        param: failure.param,
      });
    },
  });
}
