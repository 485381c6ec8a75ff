import { Module } from '@nestjs/common';
import { AuthModule } from '../../auth/auth.module.js';
import { LimitsModule } from '../../limits/limits.module.js';
import { LlmModule } from '../llm.module.js';
import { ChatGateway } from './chat.gateway.js';

/** `/ws/chat`: streaming chat over a WebSocket, on the same flow, keys and limits as REST. */
@Module({
  imports: [LlmModule, AuthModule, LimitsModule],
  providers: [ChatGateway],
})
export class ChatWsModule {}
