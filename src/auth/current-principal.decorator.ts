import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ADMIN_PRINCIPAL, type Principal } from './principal.js';

/** The authenticated caller (the AuthGuard set it); the admin on routes that skip auth. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, ctx: ExecutionContext): Principal =>
    ctx.switchToHttp().getRequest<FastifyRequest>().principal ?? ADMIN_PRINCIPAL,
);
