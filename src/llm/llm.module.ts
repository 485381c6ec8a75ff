import { Module } from '@nestjs/common';
import { CacheModule } from '../cache/cache.module.js';
import { ConversationsModule } from '../conversations/conversations.module.js';
import { TemplatesModule } from '../templates/templates.module.js';
import { LimitsModule } from '../limits/limits.module.js';
import { CacheAdminController } from './cache-admin.controller.js';
import { ChatCacheService } from './chat-cache.service.js';
import { UsageModule } from '../usage/usage.module.js';
import { CallLedger } from './call-ledger.js';
import { ChatController } from './chat.controller.js';
import { ChatService } from './chat.service.js';
import { EmbeddingsController } from './embeddings.controller.js';
import { EmbeddingsService } from './embeddings.service.js';
import { ModelCatalog } from './model-catalog.js';
import { ModelsController } from './models.controller.js';
import { CollectionQueryController } from './context/collection-query.controller.js';
import { ContextCacheRefs } from './context/context-cache-refs.js';
import { ConversationContext } from './conversation/conversation-context.service.js';
import { PromptAssembler } from './prompt-assembler.js';
import { ProviderRegistry } from './provider-registry.js';
import { RoutesController } from './routes.controller.js';
import { CooldownTracker } from './routing/cooldown-tracker.js';
import { LlmRouter } from './routing/llm-router.js';
import { RoutePlanner } from './routing/route-planner.js';
import { RouteTable } from './routing/route-table.js';

@Module({
  imports: [LimitsModule, UsageModule, CacheModule, ConversationsModule, TemplatesModule],
  controllers: [
    ChatController,
    ModelsController,
    EmbeddingsController,
    CacheAdminController,
    RoutesController,
    CollectionQueryController,
  ],
  providers: [
    ProviderRegistry,
    ModelCatalog,
    ChatService,
    EmbeddingsService,
    CallLedger,
    ChatCacheService,
    CooldownTracker,
    ConversationContext,
    ContextCacheRefs,
    PromptAssembler,
    RouteTable,
    RoutePlanner,
    LlmRouter,
  ],
  exports: [ChatService, ChatCacheService, EmbeddingsService, ModelCatalog, RouteTable, CooldownTracker],
})
export class LlmModule {}
