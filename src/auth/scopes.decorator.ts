import { SetMetadata } from '@nestjs/common';
import type { Scope } from './principal.js';

export const REQUIRED_SCOPES = 'gateway:scopes';

/**
 * The scopes that admit a caller to a controller or route (any one of them; `admin` always does).
 * `@Scopes()` with none admits any authenticated caller. Routes without the decorator are admin-only.
 */
export const Scopes = (...scopes: Scope[]): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRED_SCOPES, scopes);
