import { Injectable, Optional } from '@nestjs/common';
import type { Principal } from '../auth/principal.js';
import type { CallerInfo } from './caller-info.js';
import { GatewayError } from '../common/errors/gateway-error.js';
import { type RenderedTemplate, TemplatesService } from '../templates/templates.service.js';
import {
  buildContextBlock,
  type ContextBlock,
  contextFingerprint,
  parseContextRequest,
  retrievalQuery,
} from './context/context-block.js';
import { ContextRetriever, type RetrievedChunk } from './context/context-retriever.port.js';
import { ConversationContext, type LoadedConversation } from './conversation/conversation-context.service.js';
import { trimHistory } from './conversation/history-trimmer.js';
import type { ChatMessage } from './core/chat.types.js';
import type { ChatCompletionRequestDto } from './dto/chat-completion.request.dto.js';
import type { ModelInfo } from './registry/model-info.js';
import { type CountableTool, TokenCounter } from './tokens/token-counter.js';

/** Completion tokens reserved against a key's token limit when the request sets no `max_tokens`. */
export const DEFAULT_COMPLETION_RESERVE = 1024;

export interface AssembledPrompt {
  messages: ChatMessage[];
  conversationId?: string;
  template?: { name: string; version: number };
  sources?: RetrievedChunk[];
  contextDocumentIds?: string[];
  /**
   * Added to the cache scope: the template version and the retrieved chunks (their text already is
   * in the key, through the messages; these name them, so a new version or a re-ingested document
   * is a miss).
   */
  cacheScope: string;
}

/**
 * What the gateway adds to a chat request's own messages: a stored template as the system prompt
 * (else the conversation's), the conversation's history trimmed to fit, and the context block of
 * chunks retrieved for `context`.
 */
@Injectable()
export class PromptAssembler {
  private readonly counter = new TokenCounter();

  constructor(
    private readonly conversations: ConversationContext,
    private readonly templates: TemplatesService,
    @Optional() private readonly retriever?: ContextRetriever,
  ) {}

  async assemble(
    dto: ChatCompletionRequestDto,
    caller: CallerInfo,
    info: ModelInfo,
  ): Promise<AssembledPrompt> {
    const { principal } = caller;
    const conversation = dto.conversation_id
      ? await this.conversations.load(principal, dto.conversation_id)
      : undefined;
    const template = dto.template ? await this.renderTemplate(dto.template, principal) : undefined;
    const system = template?.text ?? conversation?.systemPrompt;
    const context = dto.context ? await this.retrieve(dto, caller, info) : undefined;
    const messages = await this.composeMessages(dto, system, context?.message, conversation, info);
    const used = template ? { name: template.name, version: template.version } : undefined;
    const templateScope = template
      ? `|template:${template.shared ? 'shared:' : ''}${template.name}@${template.version}`
      : '';
    return {
      messages,
      conversationId: conversation?.id,
      template: used,
      sources: context?.used,
      contextDocumentIds: context ? [...new Set(context.used.map((c) => c.documentId))] : undefined,
      cacheScope: templateScope + (context ? `|context:${contextFingerprint(context.used)}` : ''),
    };
  }

  /**
   * `context: {collection, top_k?, min_score?, max_tokens?, filter?}`: searches the collection with the
   * last user message and builds the numbered context block within `max_tokens`. Undefined when
   * nothing relevant was found (the request goes on without context).
   */
  private async retrieve(
    dto: ChatCompletionRequestDto,
    caller: CallerInfo,
    info: ModelInfo,
  ): Promise<ContextBlock | undefined> {
    const ctx = parseContextRequest(dto.context ?? {});
    if (!this.retriever) {
      throw new GatewayError('unsupported', 'Document retrieval is not available in this deployment.', {
        param: 'context',
      });
    }
    const chunks = await this.retriever.retrieve(caller, {
      collection: ctx.collection,
      query: retrievalQuery(dto.messages as unknown as ChatMessage[]),
      topK: ctx.topK,
      minScore: ctx.minScore,
      filter: ctx.filter,
    });
    return buildContextBlock(chunks, ctx.maxTokens, (text) => this.counter.countText(text, info.tokenizer));
  }

  /** `template: {name, version?, variables}`: rendered as the tenant's stored template (404 / 400 naming the variable). */
  private async renderTemplate(
    raw: Record<string, unknown>,
    principal: Principal,
  ): Promise<RenderedTemplate> {
    const { name, version, variables } = raw;
    if (typeof name !== 'string' || name.length === 0) {
      throw new GatewayError('invalid_request_error', "Invalid 'template.name': must be a template name", {
        param: 'template.name',
      });
    }
    if (version !== undefined && (typeof version !== 'number' || !Number.isInteger(version) || version < 1)) {
      throw new GatewayError(
        'invalid_request_error',
        "Invalid 'template.version': must be a positive integer",
        {
          param: 'template.version',
        },
      );
    }
    return this.templates.renderForChat(principal, { name, version, variables });
  }

  /**
   * The messages sent upstream: the system prompt (a rendered template, else the conversation's),
   * the stored history trimmed from its oldest turn so that everything plus the completion fits the
   * first target's context window, then the request's own messages.
   */
  private async composeMessages(
    dto: ChatCompletionRequestDto,
    systemPrompt: string | undefined,
    contextMessage: ChatMessage | undefined,
    conversation: LoadedConversation | undefined,
    info: ModelInfo,
  ): Promise<ChatMessage[]> {
    const own = dto.messages as unknown as ChatMessage[];
    const system: ChatMessage[] = systemPrompt ? [{ role: 'system', content: systemPrompt }] : [];
    // The context block sits right before the question it was retrieved for.
    const asked = contextMessage ? [contextMessage, ...own] : own;
    if (!conversation) return system.length > 0 ? [...system, ...asked] : asked;
    const fixed = [...system, ...asked];
    const maxTokens = dto.max_completion_tokens ?? dto.max_tokens;
    const reserve =
      maxTokens ?? Math.min(DEFAULT_COMPLETION_RESERVE, info.maxOutputTokens || DEFAULT_COMPLETION_RESERVE);
    let fixedTokens = await this.counter.countChat(fixed, info);
    if (dto.tools?.length) {
      fixedTokens += await this.counter.countTools(dto.tools as unknown as CountableTool[], info);
    }
    const { kept } = await trimHistory(
      conversation.history,
      info.contextWindow - reserve - fixedTokens,
      info,
      this.counter,
    );
    return [...system, ...kept, ...asked];
  }
}
