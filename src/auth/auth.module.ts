import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { KeysModule } from '../keys/keys.module.js';
import { LimitsModule } from '../limits/limits.module.js';
import { ApiKeyAuthenticator } from './api-key.authenticator.js';
import { AuthGuard } from './auth.guard.js';

@Module({
  imports: [KeysModule, LimitsModule],
  providers: [ApiKeyAuthenticator, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [ApiKeyAuthenticator],
})
export class AuthModule {}
