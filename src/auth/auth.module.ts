import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyService } from './api-key.service.js';
import { AuthGuard } from './auth.guard.js';
import { InternalCalls } from './internal-calls.js';
import { ApiKeysController } from './keys/api-keys.controller.js';

@Global()
@Module({
  controllers: [ApiKeysController],
  providers: [ApiKeyService, InternalCalls, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [ApiKeyService, InternalCalls],
})
export class AuthModule {}
