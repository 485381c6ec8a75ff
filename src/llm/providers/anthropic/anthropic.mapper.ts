import type {
  ChatRequest,
  ChatResult,
  FinishReason,
  ToolCall,
  ToolChoice,
  ToolDefinition,
  Usage,
} from '../../core/chat.types.js';
import { toAnthropicConversation } from './anthropic-messages.mapper.js';
import type {
  AnthropicErrorPayload,
  AnthropicMessageResponse,
  AnthropicMessagesBody,
  AnthropicTool,
  AnthropicToolChoice,
  AnthropicUsage,
} from './anthropic.wire.js';

export interface AnthropicMapped {
  body: AnthropicMessagesBody;
  /** Settings Anthropic has no equivalent for; they were left out, not rejected. */
  warnings: string[];
}

const EMPTY_SCHEMA: Record<string, unknown> = { type: 'object', properties: {} };

function ignored(setting: string): string {
  return `anthropic does not support \`${setting}\`; it was ignored.`;
}

function toTools(tools: ToolDefinition[]): AnthropicTool[] {
  return tools.map((t) => ({
    name: t.function.name,
    ...(t.function.description !== undefined ? { description: t.function.description } : {}),
    input_schema: t.function.parameters ?? EMPTY_SCHEMA,
  }));
}

function toToolChoice(
  choice: ToolChoice | undefined,
  parallel: boolean | undefined,
): AnthropicToolChoice | undefined {
  if (choice === 'none') return { type: 'none' };
  const noParallel = parallel === false ? { disable_parallel_tool_use: true } : {};
  if (choice === undefined) return parallel === false ? { type: 'auto', ...noParallel } : undefined;
  if (choice === 'auto') return { type: 'auto', ...noParallel };
  if (choice === 'required') return { type: 'any', ...noParallel };
  return { type: 'tool', name: choice.function.name, ...noParallel };
}

function unsupportedWarnings(req: ChatRequest): string[] {
  const warnings: string[] = [];
  if (req.seed !== undefined) warnings.push(ignored('seed'));
  if (req.responseFormat !== undefined && req.responseFormat.type !== 'text')
    warnings.push(ignored('response_format'));
  if (req.presencePenalty !== undefined) warnings.push(ignored('presence_penalty'));
  if (req.frequencyPenalty !== undefined) warnings.push(ignored('frequency_penalty'));
  if (req.tools?.some((t) => t.function.strict === true)) warnings.push(ignored('tools[].function.strict'));
  return warnings;
}

/** ChatRequest → Messages body. `max_tokens` is mandatory upstream, hence the default. */
export function toAnthropicBody(
  req: ChatRequest,
  stream: boolean,
  defaultMaxTokens: number,
): AnthropicMapped {
  const conversation = toAnthropicConversation(req.messages);
  const body: AnthropicMessagesBody = {
    model: req.model,
    max_tokens: req.maxTokens ?? defaultMaxTokens,
    messages: conversation.messages,
  };
  if (conversation.system !== undefined) body.system = conversation.system;
  if (stream) body.stream = true;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.stop !== undefined && req.stop.length > 0) body.stop_sequences = req.stop;
  if (req.user !== undefined) body.metadata = { user_id: req.user };
  if (req.tools !== undefined && req.tools.length > 0) body.tools = toTools(req.tools);
  const toolChoice = toToolChoice(req.toolChoice, body.tools ? req.parallelToolCalls : undefined);
  if (toolChoice !== undefined) body.tool_choice = toolChoice;
  return { body, warnings: [...conversation.warnings, ...unsupportedWarnings(req)] };
}

const FINISH_REASONS = new Map<string, FinishReason>([
  ['end_turn', 'stop'],
  ['stop_sequence', 'stop'],
  ['pause_turn', 'stop'],
  ['max_tokens', 'length'],
  ['model_context_window_exceeded', 'length'],
  ['tool_use', 'tool_calls'],
  ['refusal', 'content_filter'],
]);

/** Stop reasons added upstream later read as `stop`. */
export function toFinishReason(reason: string | null | undefined): FinishReason {
  return (reason ? FINISH_REASONS.get(reason) : undefined) ?? 'stop';
}

/** Anthropic's `input_tokens` excludes cache reads and writes; the prompt total includes them. */
export function promptTokensOf(u: AnthropicUsage | undefined): number | undefined {
  if (!u || typeof u.input_tokens !== 'number') return undefined;
  return u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
}

export function toUsage(promptTokens: number, completionTokens: number): Usage {
  return { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens };
}

export function fromAnthropicMessage(
  msg: AnthropicMessageResponse,
  upstreamRequestId: string | undefined,
  warnings: string[],
): ChatResult {
  const texts: string[] = [];
  const toolCalls: ToolCall[] = [];
  for (const block of msg.content) {
    if (block.type === 'text') texts.push(block.text);
    else if (block.type === 'tool_use') {
      toolCalls.push({
        id: block.id,
        type: 'function',
        function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  const text = texts.join('');
  return {
    id: msg.id,
    model: msg.model,
    // The Messages API has no creation time; the gateway reports when it got the answer.
    created: Math.floor(Date.now() / 1000),
    content: text === '' && toolCalls.length > 0 ? null : text,
    toolCalls: toolCalls.length > 0 ? toolCalls : undefined,
    finishReason: toFinishReason(msg.stop_reason),
    usage: toUsage(promptTokensOf(msg.usage) ?? 0, msg.usage?.output_tokens ?? 0),
    upstreamRequestId,
    warnings,
  };
}

/** Reads `{"type":"error","error":{"type","message"},"request_id"}`. */
export function readAnthropicError(body: unknown): { message?: string; code?: string; type?: string } {
  const e = (body as AnthropicErrorPayload | undefined)?.error;
  if (!e || typeof e !== 'object') return {};
  return {
    message: typeof e.message === 'string' ? e.message : undefined,
    type: typeof e.type === 'string' ? e.type : undefined,
  };
}
