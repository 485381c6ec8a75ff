import { Injectable } from '@nestjs/common';
import type { Principal } from '../../auth/principal.js';
import type { ConversationMessageEntity } from '../../conversations/conversation-message.entity.js';
import { ConversationsService, type NewMessage } from '../../conversations/conversations.service.js';
import type { CachedAnswer } from '../chat-cache.js';
import type { ChatMessage, ChatRole, ToolCall } from '../core/chat.types.js';

export interface LoadedConversation {
  id: string;
  systemPrompt?: string;
  /** Default model of the conversation. */
  model?: string;
  history: ChatMessage[];
}

/** What the answer to a conversation turn is stored with. */
export interface TurnRecord {
  model: string;
  target: string;
  cache: string;
  template?: { name: string; version: number };
}

function toChatMessage(row: ConversationMessageEntity): ChatMessage {
  return {
    role: row.role as ChatRole,
    content: row.content as ChatMessage['content'],
    ...(row.name ? { name: row.name } : {}),
    ...(row.toolCalls ? { tool_calls: row.toolCalls as unknown as ToolCall[] } : {}),
    ...(row.toolCallId ? { tool_call_id: row.toolCallId } : {}),
  };
}

/**
 * Chat's side of stored conversations: loads one as chat messages, and stores a finished turn (the
 * request's messages, then the answer) in one atomic append. Failed or cancelled calls store nothing.
 */
@Injectable()
export class ConversationContext {
  constructor(private readonly conversations: ConversationsService) {}

  async load(principal: Principal, id: string): Promise<LoadedConversation> {
    const { conversation, messages } = await this.conversations.history(principal, id);
    return {
      id,
      systemPrompt: conversation.systemPrompt ?? undefined,
      model: conversation.model ?? undefined,
      history: messages.filter((m) => m.role !== 'system').map(toChatMessage),
    };
  }

  /** The request's own system messages are not stored: the conversation has its own system prompt. */
  async record(
    principal: Principal,
    conversationId: string,
    requestMessages: readonly ChatMessage[],
    answer: CachedAnswer,
    turn: TurnRecord,
  ): Promise<void> {
    const asked: NewMessage[] = requestMessages
      .filter((m) => m.role !== 'system' && m.role !== 'developer')
      .map((m) => ({
        role: m.role,
        content: m.content,
        name: m.name,
        toolCalls: m.tool_calls as unknown as NewMessage['toolCalls'],
        toolCallId: m.tool_call_id,
      }));
    const answered: NewMessage = {
      role: 'assistant',
      content: answer.content,
      toolCalls: answer.toolCalls as unknown as NewMessage['toolCalls'],
      model: turn.model,
      target: turn.target,
      promptTokens: answer.usage.promptTokens,
      completionTokens: answer.usage.completionTokens,
      cache: turn.cache,
      finishReason: answer.finishReason,
      template: turn.template,
    };
    await this.conversations.append(principal, conversationId, [...asked, answered]);
  }
}
