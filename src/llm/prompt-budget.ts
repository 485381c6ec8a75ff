import { GatewayError } from '../common/errors/gateway-error.js';
import type { ChatRequest } from './core/chat.types.js';
import type { ModelInfo } from './registry/model-info.js';
import type { CountableMessage, TokenCounter } from './tokens/token-counter.js';

/**
 * Refuses, before any upstream call, a request that cannot fit: `max_tokens` over the model's
 * output limit, or prompt + `max_tokens` over its context window. Returns the prompt token count.
 */
export async function checkPromptBudget(
  req: ChatRequest,
  info: ModelInfo,
  counter: TokenCounter,
): Promise<number> {
  if (req.maxTokens !== undefined && info.maxOutputTokens > 0 && req.maxTokens > info.maxOutputTokens) {
    throw new GatewayError(
      'invalid_request_error',
      `max_tokens is too large: ${req.maxTokens}. This model supports at most ${info.maxOutputTokens} completion tokens.`,
      { param: 'max_tokens' },
    );
  }
  const messages = req.messages as unknown as CountableMessage[];
  let prompt = await counter.countChat(messages, info);
  if (req.tools?.length) prompt += await counter.countTools(req.tools, info);
  const completion = req.maxTokens ?? 0;
  if (prompt + completion > info.contextWindow) {
    const detail = completion > 0 ? ` (${prompt} in the messages, ${completion} in the completion)` : '';
    throw new GatewayError(
      'context_length_exceeded',
      `This model's maximum context length is ${info.contextWindow} tokens. However, you requested ${prompt + completion} tokens${detail}. Please reduce the length of the messages or completion.`,
      { param: 'messages' },
    );
  }
  return prompt;
}
