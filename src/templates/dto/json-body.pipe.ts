import type { PipeTransform } from '@nestjs/common';
import { validate } from 'class-validator';
import { GatewayError } from '../../common/errors/gateway-error.js';
import type { SelfValidating } from '../../common/validation/validation.pipe.js';

/**
 * Validates a body DTO with its class-validator decorators, but on a shallow copy of the parsed JSON:
 * the global pipe's class-transformer rebuilds nested objects and silently drops keys that shadow
 * `Object.prototype` members (`constructor`, `toString`, …), which would corrupt a stored JSON Schema
 * or the variables of a render. Nested values stay exactly as sent. Unknown top-level fields are
 * dropped (`whitelist`), as the global pipe does. The DTO is marked `selfValidating`, so the global
 * pipe skips it.
 */
export class JsonBodyPipe<T extends object> implements PipeTransform<unknown, Promise<T>> {
  constructor(private readonly type: (new () => T) & SelfValidating) {}

  async transform(value: unknown): Promise<T> {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new GatewayError('invalid_request_error', 'The request body must be a JSON object.', {
        param: 'body',
      });
    }
    const instance: T = Object.assign(new this.type(), value);
    const errors = await validate(instance, {
      whitelist: true,
      forbidUnknownValues: true,
      stopAtFirstError: true,
    });
    const first = errors[0];
    if (first) {
      const message = first.constraints ? Object.values(first.constraints)[0] : 'is invalid';
      throw new GatewayError('invalid_request_error', `Invalid '${first.property}': ${message}`, {
        param: first.property,
      });
    }
    return instance;
  }
}
