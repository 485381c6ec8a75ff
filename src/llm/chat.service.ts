import { Injectable } from '@nestjs/common';
import type { CallOptions, ChatResult, ChatStreamPart } from './core/chat.types.js';
import { toChatRequest } from './chat-request.mapper.js';
import type { ChatCompletionRequestDto } from './dto/chat-completion.request.dto.js';
import { ModelCatalog, type ResolvedModel } from './model-catalog.js';

export interface PreparedChat {
  target: ResolvedModel;
  run: (opts: CallOptions) => Promise<ChatResult>;
  stream: (opts: CallOptions) => AsyncIterable<ChatStreamPart>;
}

/** Orchestrates one chat completion: resolve the model, map the request, call the provider. */
@Injectable()
export class ChatService {
  constructor(private readonly catalog: ModelCatalog) {}

  async prepare(dto: ChatCompletionRequestDto): Promise<PreparedChat> {
    const target = await this.catalog.resolve(dto.model);
    const request = toChatRequest(dto, target.model);
    return {
      target,
      run: (opts) => target.provider.generate(request, opts),
      stream: (opts) => target.provider.stream(request, opts),
    };
  }
}
