import { Module } from '@nestjs/common';
import { LimitsModule } from '../limits/limits.module.js';
import { UsageModule } from '../usage/usage.module.js';
import { CallLedger } from './call-ledger.js';
import { ChatController } from './chat.controller.js';
import { ChatService } from './chat.service.js';
import { EmbeddingsController } from './embeddings.controller.js';
import { EmbeddingsService } from './embeddings.service.js';
import { ModelCatalog } from './model-catalog.js';
import { ModelsController } from './models.controller.js';
import { ProviderRegistry } from './provider-registry.js';

@Module({
  imports: [LimitsModule, UsageModule],
  controllers: [ChatController, ModelsController, EmbeddingsController],
  providers: [ProviderRegistry, ModelCatalog, ChatService, EmbeddingsService, CallLedger],
  exports: [ChatService, EmbeddingsService, ModelCatalog],
})
export class LlmModule {}
