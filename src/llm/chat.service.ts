import type { CallerInfo } from './caller-info.js';
import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { mayUseModel, type Principal } from '../auth/principal.js';
import { GatewayError } from '../common/errors/gateway-error.js';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import type { PendingRequestLimits } from '../limits/pending-request-limits.js';
import { NO_RESERVATION, TokenLimiter, type TokenReservation } from '../limits/token-limiter.js';
import { type CallContext, CallLedger, type CallRecord, costUsd } from './call-ledger.js';
import type { CachedAnswer } from './chat-cache.js';
import { ConversationContext } from './conversation/conversation-context.service.js';
import type { RetrievedChunk } from './context/context-retriever.port.js';
import { DEFAULT_COMPLETION_RESERVE, PromptAssembler } from './prompt-assembler.js';
import { TokenCounter } from './tokens/token-counter.js';
import type { CallOptions, ChatMessage, ChatRequest, ChatResult, ChatStreamPart } from './core/chat.types.js';
import { toChatRequest } from './chat-request.mapper.js';
import type { ChatCompletionRequestDto } from './dto/chat-completion.request.dto.js';
import type { ResolvedModel } from './model-catalog.js';
import { checkPromptBudget } from './prompt-budget.js';
import type { ModelInfo } from './registry/model-info.js';
import { LlmRouter, type RoutePlan } from './routing/llm-router.js';
import { RoutePlanner } from './routing/route-planner.js';
import type { RouteTarget } from './routing/route-target.js';

/** 403 when the key's model list does not cover the model as the client named it. */
export function assertModelAllowed(principal: Principal, model: string): void {
  if (!mayUseModel(principal, model)) {
    throw new GatewayError('permission_error', `This API key may not use the model '${model}'.`, {
      param: 'model',
    });
  }
}

export type { CallerInfo } from './caller-info.js';

export interface ResolvedChat {
  dto: ChatCompletionRequestDto;
  caller: CallerInfo;
  /** The first configured target (it counted the prompt); routing may serve the call elsewhere. */
  target: ResolvedModel;
  request: ChatRequest;
  info: ModelInfo;
  promptTokens: number;
  /** What the response cache is scoped to: the target, or the alias (any of its targets' answers do). */
  cacheTarget: string;
  /** Undefined for one model named directly: one attempt, no router. */
  plan?: RoutePlan;
  /** Set when the request named a conversation: where the finished turn is stored. */
  conversationId?: string;
  /** The template that made the system prompt, stored with the answer. */
  template?: { name: string; version: number };
  /** Chunks retrieved for `context` and sent with the prompt (numbered as the context block cites them). */
  sources?: RetrievedChunk[];
  /** The documents of `sources`: a cached answer built on them is purged when one is deleted. */
  contextDocumentIds?: string[];
}

export interface PreparedChat {
  target: ResolvedModel;
  reservation: TokenReservation;
  record: CallRecord;
  run: (opts: CallOptions) => Promise<ChatResult>;
  stream: (opts: CallOptions) => AsyncIterable<ChatStreamPart>;
  /**
   * The target that answered: set once `run` resolved or the stream's first part arrived (routing
   * may move a call to another target before that); the first choice until then.
   */
  servedBy: () => ServedBy;
}

export interface ServedBy {
  /** The provider id, e.g. `openai` (the `x-gateway-provider` header). */
  provider: string;
  /** The routing target's id, e.g. `openai/gpt-4o-mini` (the `x-gateway-target` header). */
  target: string;
}

/** Orchestrates one chat completion: resolve the model, map the request, call the provider. */
@Injectable()
export class ChatService implements OnApplicationBootstrap {
  private readonly counter = new TokenCounter();

  constructor(
    private readonly planner: RoutePlanner,
    private readonly router: LlmRouter,
    private readonly limiter: TokenLimiter,
    private readonly ledger: CallLedger,
    private readonly prompts: PromptAssembler,
    private readonly conversations: ConversationContext,
    @Inject(ROOT_LOGGER) private readonly log: Logger,
  ) {}

  /** Loads the BPE tables in the background (about 1 s), so the first request does not pay for it. */
  onApplicationBootstrap(): void {
    this.counter
      .countText('warm up', 'o200k')
      .catch((err: unknown) => this.log.warn({ err }, 'tokenizer warm-up failed'));
  }

  /**
   * Everything that can refuse a request before the cache and the upstream: the key's model list,
   * the model's existence and the context window.
   */
  async resolve(dto: ChatCompletionRequestDto, caller: CallerInfo): Promise<ResolvedChat> {
    assertModelAllowed(caller.principal, dto.model);
    for (const f of dto.fallbacks ?? []) assertModelAllowed(caller.principal, f);
    const planned = await this.planner.plan(dto.model, dto.fallbacks);
    const primary = planned.primary;
    const target = { provider: primary.provider, model: primary.model, requested: dto.model };
    const prompt = await this.prompts.assemble(dto, caller, primary.info);
    const request = toChatRequest(dto, primary.model, prompt.messages);
    const extras = {
      conversationId: prompt.conversationId,
      template: prompt.template,
      sources: prompt.sources,
      contextDocumentIds: prompt.contextDocumentIds,
    };
    const scope = prompt.cacheScope;
    if (!planned.routed) {
      const promptTokens = await checkPromptBudget(request, primary.info, this.counter);
      const cacheTarget = `${primary.provider.id}/${primary.model}${scope}`;
      return { dto, caller, target, request, info: primary.info, promptTokens, cacheTarget, ...extras };
    }
    // Refused only when no target can take it; targets too small for it are skipped.
    const targets = planned.routes.flatMap((r) => r.targets);
    const roomiest = targets.reduce((a, b) => (b.info.contextWindow > a.info.contextWindow ? b : a));
    const promptTokens = await checkPromptBudget(request, roomiest.info, this.counter);
    const fits = (t: RouteTarget): boolean =>
      promptTokens + (request.maxTokens ?? 0) <= t.info.contextWindow &&
      (request.maxTokens === undefined ||
        !t.info.maxOutputTokens ||
        request.maxTokens <= t.info.maxOutputTokens);
    const plan = RoutePlanner.toPlan(planned, fits);
    return {
      dto,
      caller,
      target,
      request,
      info: primary.info,
      promptTokens,
      cacheTarget: `route:${planned.name}${scope}`,
      plan,
      ...extras,
    };
  }

  /**
   * A successful answer (from the upstream or the cache) that reached the client: stores the turn in
   * the request's conversation. Failed or cancelled calls never get here, so they store nothing.
   */
  async complete(r: ResolvedChat, answer: CachedAnswer, served: ServedBy, cache: string): Promise<void> {
    if (!r.conversationId) return;
    await this.conversations.record(
      r.caller.principal,
      r.conversationId,
      r.dto.messages as unknown as ChatMessage[],
      answer,
      { model: r.dto.model, target: served.target, cache, template: r.template },
    );
  }

  /** An answer from the cache: accounted with cost 0 and its prompt tokens marked cached. */
  openCachedRecord(r: ResolvedChat): CallRecord {
    return this.ledger.open(this.context(r, NO_RESERVATION));
  }

  /**
   * The upstream call: tokens and budget are reserved first (429 when they do not fit), together with
   * the verdict of the request limits the guard left to the handler, if it did.
   */
  async start(r: ResolvedChat, counted?: PendingRequestLimits): Promise<PreparedChat> {
    const { request, info, promptTokens, caller, target, plan } = r;
    const completionReserve =
      request.maxTokens ??
      Math.min(DEFAULT_COMPLETION_RESERVE, info.maxOutputTokens || DEFAULT_COMPLETION_RESERVE);
    const reservation = await this.limiter.reserve(
      caller.principal,
      promptTokens + completionReserve,
      costUsd(info.pricing, promptTokens, completionReserve),
      counted,
    );
    const record = this.ledger.open(this.context(r, reservation));
    const primary: ServedBy = {
      provider: target.provider.id,
      target: `${target.provider.id}/${target.model}`,
    };
    if (!plan) {
      return {
        target,
        reservation,
        record,
        run: (opts) => target.provider.generate(request, opts),
        stream: (opts) => target.provider.stream(request, opts),
        servedBy: () => primary,
      };
    }
    let served: ServedBy = primary;
    const call = this.router.call(plan, (t) => {
      served = { provider: t.provider.id, target: t.id };
      record.servedBy(t.provider.id, t.model, t.info.pricing);
    });
    return {
      target,
      reservation,
      record,
      run: (opts) => call.run(request, opts),
      stream: (opts) => call.stream(request, opts),
      servedBy: () => served,
    };
  }

  /** `resolve` then `start`, for callers that do not cache. */
  async prepare(dto: ChatCompletionRequestDto, caller: CallerInfo): Promise<PreparedChat> {
    return this.start(await this.resolve(dto, caller));
  }

  private context(r: ResolvedChat, reservation: TokenReservation): CallContext {
    return {
      requestId: r.caller.requestId,
      principal: r.caller.principal,
      endpoint: 'chat',
      model: r.dto.model,
      provider: r.target.provider.id,
      target: r.target.model,
      stream: r.dto.stream ?? false,
      pricing: r.info.pricing,
      reservation,
      promptTokens: r.promptTokens,
    };
  }
}
