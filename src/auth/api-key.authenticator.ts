import { Inject, Injectable } from '@nestjs/common';
import { GatewayError } from '../common/errors/gateway-error.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { keyPrefix } from '../keys/key-material.js';
import { KeysService } from '../keys/keys.service.js';
import { ADMIN_PRINCIPAL, hasScope, type Principal, type Scope } from './principal.js';

/**
 * Turns a presented key into the caller, with the same rules on every edge (the HTTP guard and the
 * WebSocket upgrade): the master key or an issued key; with `ADMIN_API_KEY` unset, the admin when no
 * key (or a key that is not shaped like an issued one) is sent.
 */
@Injectable()
export class ApiKeyAuthenticator {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly keys: KeysService,
  ) {}

  /** `hint` tells a client without a key how to send one on this edge. */
  async identify(
    presented: string | undefined,
    hint = 'send it as "Authorization: Bearer <key>"',
  ): Promise<Principal> {
    if (!presented) {
      if (!this.config.auth.adminApiKey) return ADMIN_PRINCIPAL;
      throw new GatewayError('authentication_error', `Missing API key: ${hint}.`);
    }
    const principal = await this.keys.authenticate(presented);
    if (principal) return principal;
    // With auth off, clients that must send some key (SDKs do) still get in; an issued key that is
    // unknown or revoked never does.
    if (!this.config.auth.adminApiKey && keyPrefix(presented) === undefined) return ADMIN_PRINCIPAL;
    throw new GatewayError('authentication_error', 'Invalid or revoked API key.');
  }

  /** 403 unless `principal` holds one of `required` (an empty list requires nothing). */
  requireScope(principal: Principal, required: readonly Scope[], what = 'this route'): void {
    if (required.length > 0 && !required.some((s) => hasScope(principal, s))) {
      throw new GatewayError(
        'permission_error',
        `This API key lacks the scope ${what} needs (${required.join(' or ')}).`,
      );
    }
  }
}
