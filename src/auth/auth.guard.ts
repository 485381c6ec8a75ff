import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../common/errors/gateway-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { keyPrefix } from '../keys/key-material.js';
import { KeysService } from '../keys/keys.service.js';
import { RequestLimitGuard } from '../limits/request-limit.guard.js';
import { extractApiKey } from './api-key.js';
import { ADMIN_PRINCIPAL, hasScope, type Principal, type Scope } from './principal.js';
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
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly reflector: Reflector,
    private readonly keys: KeysService,
    private readonly limits: RequestLimitGuard,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = await this.identify(request);
    request.principal = principal;
    const required = this.reflector.getAllAndOverride<Scope[] | undefined>(REQUIRED_SCOPES, targets) ?? [
      'admin',
    ];
    if (required.length > 0 && !required.some((s) => hasScope(principal, s))) {
      throw new GatewayError(
        'permission_error',
        `This API key lacks the scope this route needs (${required.join(' or ')}).`,
      );
    }
    return this.limits.canActivate(context);
  }

  private async identify(request: FastifyRequest): Promise<Principal> {
    const presented = extractApiKey(request.headers);
    if (!presented) {
      if (!this.config.auth.adminApiKey) return ADMIN_PRINCIPAL;
      throw new GatewayError(
        'authentication_error',
        'Missing API key: send it as "Authorization: Bearer <key>".',
      );
    }
    const principal = await this.keys.authenticate(presented);
    if (principal) return principal;
    // With auth off, clients that must send some key (SDKs do) still get in; an issued key that is
    // unknown or revoked never does.
    if (!this.config.auth.adminApiKey && keyPrefix(presented) === undefined) return ADMIN_PRINCIPAL;
    throw new GatewayError('authentication_error', 'Invalid or revoked API key.');
  }
}
