import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../common/errors/gateway-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { extractApiKey, keysMatch } from './api-key.js';
import { IS_PUBLIC } from './public.decorator.js';

/**
 * The one global guard. With `ADMIN_API_KEY` unset (loopback only) every route is open; otherwise
 * every route not marked `@Public()` needs the key as a Bearer token.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const adminKey = this.config.auth.adminApiKey;
    if (!adminKey) return true;
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const presented = extractApiKey(request.headers);
    if (!presented) {
      throw new GatewayError(
        'authentication_error',
        'Missing API key: send it as "Authorization: Bearer <key>".',
      );
    }
    if (!keysMatch(presented, adminKey)) {
      throw new GatewayError('authentication_error', 'Invalid API key.');
    }
    return true;
  }
}
