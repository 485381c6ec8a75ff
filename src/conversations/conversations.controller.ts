import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import type { Principal } from '../auth/principal.js';
import { Scopes } from '../auth/scopes.decorator.js';
import { ApiErrorResponses } from '../common/swagger/api-error-responses.decorator.js';
import type { ConversationMessageEntity } from './conversation-message.entity.js';
import type { ConversationEntity } from './conversation.entity.js';
import { ConversationsService } from './conversations.service.js';
import {
  ConversationDto,
  ConversationListDto,
  type ConversationMessageDto,
  ConversationWithMessagesDto,
  CreateConversationRequestDto,
  ListConversationsQueryDto,
} from './dto/conversation.dto.js';

function toDto(c: ConversationEntity): ConversationDto {
  return {
    id: c.id,
    title: c.title,
    system_prompt: c.systemPrompt,
    model: c.model,
    metadata: c.metadata,
    message_count: c.lastSeq,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}

function toMessageDto(m: ConversationMessageEntity): ConversationMessageDto {
  return {
    seq: m.seq,
    role: m.role,
    content: m.content,
    name: m.name,
    tool_calls: m.toolCalls,
    tool_call_id: m.toolCallId,
    model: m.model,
    target: m.target,
    prompt_tokens: m.promptTokens,
    completion_tokens: m.completionTokens,
    cache: m.cache,
    finish_reason: m.finishReason,
    template: m.template,
    created_at: m.createdAt.toISOString(),
  };
}

/** Stored conversations (CONTRACT §6); chat requests name one with `conversation_id`. */
@ApiTags('conversations')
@ApiBearerAuth()
@Scopes('chat')
@Controller('api/conversations')
export class ConversationsController {
  constructor(private readonly conversations: ConversationsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a conversation (optionally with a system prompt and initial history)' })
  @ApiCreatedResponse({ type: ConversationDto })
  @ApiErrorResponses(400, 401, 403, 413)
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() body: CreateConversationRequestDto,
  ): Promise<ConversationDto> {
    const row = await this.conversations.create(principal, {
      title: body.title,
      systemPrompt: body.system_prompt,
      model: body.model,
      metadata: body.metadata,
      messages: body.messages?.map((m) => ({ role: m.role, content: m.content })),
    });
    return toDto(row);
  }

  @Get()
  @ApiOperation({ summary: 'List conversations, most recently updated first (keyset pagination)' })
  @ApiOkResponse({ type: ConversationListDto })
  @ApiErrorResponses(400, 401, 403)
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListConversationsQueryDto,
  ): Promise<ConversationListDto> {
    const page = await this.conversations.list(principal, query.limit, query.cursor);
    return { data: page.data.map(toDto), next_cursor: page.nextCursor };
  }

  @Get(':id')
  @ApiOperation({ summary: 'A conversation with its messages, in order' })
  @ApiOkResponse({ type: ConversationWithMessagesDto })
  @ApiErrorResponses(400, 401, 403, 404)
  async get(
    @CurrentPrincipal() principal: Principal,
    @Param('id') id: string,
  ): Promise<ConversationWithMessagesDto> {
    const { conversation, messages } = await this.conversations.history(principal, id);
    return { ...toDto(conversation), messages: messages.map(toMessageDto) };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a conversation and its messages' })
  @ApiNoContentResponse()
  @ApiErrorResponses(400, 401, 403, 404)
  async remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.conversations.remove(principal, id);
  }
}
