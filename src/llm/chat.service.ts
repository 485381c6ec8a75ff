import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import type { CallOptions, ChatResult, ChatStreamPart } from './core/chat.types.js';
import { toChatRequest } from './chat-request.mapper.js';
import type { ChatCompletionRequestDto } from './dto/chat-completion.request.dto.js';
import { ModelCatalog, type ResolvedModel } from './model-catalog.js';
import { checkPromptBudget } from './prompt-budget.js';
import { resolveModelInfo } from './registry/model-info.js';
import { TokenCounter } from './tokens/token-counter.js';

export interface PreparedChat {
  target: ResolvedModel;
  run: (opts: CallOptions) => Promise<ChatResult>;
  stream: (opts: CallOptions) => AsyncIterable<ChatStreamPart>;
}

/** Orchestrates one chat completion: resolve the model, map the request, call the provider. */
@Injectable()
export class ChatService implements OnApplicationBootstrap {
  private readonly counter = new TokenCounter();

  constructor(
    private readonly catalog: ModelCatalog,
    @Inject(ROOT_LOGGER) private readonly log: Logger,
  ) {}

  /** Loads the BPE tables in the background (about 1 s), so the first request does not pay for it. */
  onApplicationBootstrap(): void {
    this.counter
      .countText('warm up', 'o200k')
      .catch((err: unknown) => this.log.warn({ err }, 'tokenizer warm-up failed'));
  }

  async prepare(dto: ChatCompletionRequestDto): Promise<PreparedChat> {
    const target = await this.catalog.resolve(dto.model);
    const request = toChatRequest(dto, target.model);
    await checkPromptBudget(request, resolveModelInfo(target.provider.id, target.model), this.counter);
    return {
      target,
      run: (opts) => target.provider.generate(request, opts),
      stream: (opts) => target.provider.stream(request, opts),
    };
  }
}
