import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { RequestLimitGuard } from '../limits/request-limit.guard.js';
import { ApiKeyAuthenticator } from './api-key.authenticator.js';
import { extractApiKey } from './api-key.js';
import type { Scope } from './principal.js';
import { IS_PUBLIC } from './public.decorator.js';
import { REQUIRED_SCOPES } from './scopes.decorator.js';

/**
 * The one global guard, so the order is fixed: identify the caller (the master key, an issued key,
 * or, with `ADMIN_API_KEY` unset on loopback, the admin when no key is sent), check the route's
 * scopes, then count the request against the rate limits.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: ApiKeyAuthenticator,
    private readonly limits: RequestLimitGuard,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = await this.authenticator.identify(extractApiKey(request.headers));
    request.principal = principal;
    const required = this.reflector.getAllAndOverride<Scope[] | undefined>(REQUIRED_SCOPES, targets) ?? [
      'admin',
    ];
    this.authenticator.requireScope(principal, required);
    return this.limits.canActivate(context);
  }
}
