import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { mayUseModel, type Principal } from '../auth/principal.js';
import { GatewayError } from '../common/errors/gateway-error.js';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import { TokenLimiter, type TokenReservation } from '../limits/token-limiter.js';
import { CallLedger, type CallRecord, costUsd } from './call-ledger.js';
import type { CallOptions, ChatResult, ChatStreamPart } from './core/chat.types.js';
import { toChatRequest } from './chat-request.mapper.js';
import type { ChatCompletionRequestDto } from './dto/chat-completion.request.dto.js';
import { ModelCatalog, type ResolvedModel } from './model-catalog.js';
import { checkPromptBudget } from './prompt-budget.js';
import { resolveModelInfo } from './registry/model-info.js';
import { TokenCounter } from './tokens/token-counter.js';

/** 403 when the key's model list does not cover the model as the client named it. */
export function assertModelAllowed(principal: Principal, model: string): void {
  if (!mayUseModel(principal, model)) {
    throw new GatewayError('permission_error', `This API key may not use the model '${model}'.`, {
      param: 'model',
    });
  }
}

/** Completion tokens reserved against a key's token limit when the request sets no `max_tokens`. */
export const DEFAULT_COMPLETION_RESERVE = 1024;

export interface CallerInfo {
  principal: Principal;
  requestId: string;
}

export interface PreparedChat {
  target: ResolvedModel;
  reservation: TokenReservation;
  record: CallRecord;
  run: (opts: CallOptions) => Promise<ChatResult>;
  stream: (opts: CallOptions) => AsyncIterable<ChatStreamPart>;
}

/** Orchestrates one chat completion: resolve the model, map the request, call the provider. */
@Injectable()
export class ChatService implements OnApplicationBootstrap {
  private readonly counter = new TokenCounter();

  constructor(
    private readonly catalog: ModelCatalog,
    private readonly limiter: TokenLimiter,
    private readonly ledger: CallLedger,
    @Inject(ROOT_LOGGER) private readonly log: Logger,
  ) {}

  /** Loads the BPE tables in the background (about 1 s), so the first request does not pay for it. */
  onApplicationBootstrap(): void {
    this.counter
      .countText('warm up', 'o200k')
      .catch((err: unknown) => this.log.warn({ err }, 'tokenizer warm-up failed'));
  }

  /**
   * Everything that can refuse a request happens here, before any upstream call: the key's model
   * list, the model's existence, the context window, then the token and budget reservation.
   */
  async prepare(dto: ChatCompletionRequestDto, caller: CallerInfo): Promise<PreparedChat> {
    assertModelAllowed(caller.principal, dto.model);
    const target = await this.catalog.resolve(dto.model);
    const request = toChatRequest(dto, target.model);
    const info = resolveModelInfo(target.provider.id, target.model);
    const promptTokens = await checkPromptBudget(request, info, this.counter);
    const completionReserve =
      request.maxTokens ??
      Math.min(DEFAULT_COMPLETION_RESERVE, info.maxOutputTokens || DEFAULT_COMPLETION_RESERVE);
    const reservation = await this.limiter.reserve(
      caller.principal,
      promptTokens + completionReserve,
      costUsd(info.pricing, promptTokens, completionReserve),
    );
    const record = this.ledger.open({
      requestId: caller.requestId,
      principal: caller.principal,
      endpoint: 'chat',
      model: dto.model,
      provider: target.provider.id,
      target: target.model,
      stream: dto.stream ?? false,
      pricing: info.pricing,
      reservation,
      promptTokens,
    });
    return {
      target,
      reservation,
      record,
      run: (opts) => target.provider.generate(request, opts),
      stream: (opts) => target.provider.stream(request, opts),
    };
  }
}
