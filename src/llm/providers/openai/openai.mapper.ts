import type { ChatRequest, ChatResult, FinishReason, Usage } from '../../core/chat.types.js';
import type { OpenAiChatBody, OpenAiCompletion, OpenAiErrorBody, OpenAiUsage } from './openai.wire.js';

/** Reasoning models take `max_completion_tokens` only; others accept the classic `max_tokens`. */
function usesCompletionTokens(model: string): boolean {
  return /^(o\d|gpt-5)/.test(model);
}

export function toOpenAiBody(req: ChatRequest, stream: boolean, legacyMaxTokens: boolean): OpenAiChatBody {
  const body: OpenAiChatBody = { model: req.model, messages: req.messages };
  if (stream) {
    body.stream = true;
    // Always asked for: the gateway accounts usage even when the client did not ask to see it.
    body.stream_options = { include_usage: true };
  }
  if (req.maxTokens !== undefined) {
    if (!legacyMaxTokens && usesCompletionTokens(req.model)) body.max_completion_tokens = req.maxTokens;
    else body.max_tokens = req.maxTokens;
  }
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.stop !== undefined) body.stop = req.stop;
  if (req.seed !== undefined) body.seed = req.seed;
  if (req.user !== undefined) body.user = req.user;
  if (req.responseFormat !== undefined) body.response_format = req.responseFormat;
  if (req.tools !== undefined) body.tools = req.tools;
  if (req.toolChoice !== undefined) body.tool_choice = req.toolChoice;
  if (req.parallelToolCalls !== undefined) body.parallel_tool_calls = req.parallelToolCalls;
  if (req.presencePenalty !== undefined) body.presence_penalty = req.presencePenalty;
  if (req.frequencyPenalty !== undefined) body.frequency_penalty = req.frequencyPenalty;
  return body;
}

const FINISH_REASONS: Record<string, FinishReason> = {
  length: 'length',
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  content_filter: 'content_filter',
};

/** Anything else (`stop`, missing, a compatible server's own word) is a normal stop. */
export function toFinishReason(reason: string | null | undefined): FinishReason {
  return (reason && FINISH_REASONS[reason]) || 'stop';
}

export function toUsage(u: OpenAiUsage | null | undefined): Usage | undefined {
  if (!u) return undefined;
  return {
    promptTokens: u.prompt_tokens,
    completionTokens: u.completion_tokens,
    totalTokens: u.total_tokens ?? u.prompt_tokens + u.completion_tokens,
  };
}

export function fromOpenAiCompletion(c: OpenAiCompletion, upstreamRequestId?: string): ChatResult {
  const choice = c.choices[0];
  return {
    id: c.id,
    model: c.model,
    created: c.created,
    content: choice?.message.content ?? null,
    toolCalls: choice?.message.tool_calls?.length ? choice.message.tool_calls : undefined,
    finishReason: toFinishReason(choice?.finish_reason),
    usage: toUsage(c.usage) ?? { promptTokens: 0, completionTokens: 0, totalTokens: 0 },
    upstreamRequestId,
    warnings: [],
  };
}

export function readOpenAiError(body: unknown): { message?: string; code?: string; type?: string } {
  const e = (body as OpenAiErrorBody | undefined)?.error;
  if (!e || typeof e !== 'object') return {};
  return {
    message: typeof e.message === 'string' ? e.message : undefined,
    code: typeof e.code === 'string' ? e.code : undefined,
    type: typeof e.type === 'string' ? e.type : undefined,
  };
}
