import type {
  ChatMessage,
  ChatRequest,
  ResponseFormat,
  ToolChoice,
  ToolDefinition,
} from './core/chat.types.js';
import type { ChatCompletionRequestDto } from './dto/chat-completion.request.dto.js';

/**
 * Edge DTO → core request. `model` is the upstream's name, resolved by the catalog; `messages`
 * replaces the body's when the gateway added to them (stored history, a template's system prompt).
 */
export function toChatRequest(
  dto: ChatCompletionRequestDto,
  upstreamModel: string,
  messages: ChatMessage[] = dto.messages as unknown as ChatMessage[],
): ChatRequest {
  return {
    model: upstreamModel,
    messages,
    temperature: dto.temperature,
    topP: dto.top_p,
    maxTokens: dto.max_completion_tokens ?? dto.max_tokens,
    stop: typeof dto.stop === 'string' ? [dto.stop] : dto.stop,
    seed: dto.seed,
    user: dto.user,
    responseFormat: dto.response_format as ResponseFormat | undefined,
    tools: dto.tools as ToolDefinition[] | undefined,
    toolChoice: dto.tool_choice as ToolChoice | undefined,
    parallelToolCalls: dto.parallel_tool_calls,
    presencePenalty: dto.presence_penalty,
    frequencyPenalty: dto.frequency_penalty,
  };
}
