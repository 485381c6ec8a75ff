import type { ChatMessage, ResponseFormat, ToolChoice, ToolDefinition } from '../../core/chat.types.js';

/** The subset of OpenAI's chat wire format the gateway reads and writes. */
export interface OpenAiChatBody {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage: boolean };
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  stop?: string[];
  seed?: number;
  user?: string;
  response_format?: ResponseFormat;
  tools?: ToolDefinition[];
  tool_choice?: ToolChoice;
  parallel_tool_calls?: boolean;
  presence_penalty?: number;
  frequency_penalty?: number;
}

export interface OpenAiUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface OpenAiToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface OpenAiCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: { role: 'assistant'; content: string | null; tool_calls?: ChatMessage['tool_calls'] };
    finish_reason: string | null;
  }>;
  usage?: OpenAiUsage;
}

export interface OpenAiChunk {
  id?: string;
  model?: string;
  created?: number;
  choices?: Array<{
    index: number;
    delta?: { role?: string; content?: string | null; tool_calls?: OpenAiToolCallDelta[] };
    finish_reason?: string | null;
  }> | null;
  usage?: OpenAiUsage | null;
  error?: { message?: string; type?: string; code?: string | null };
}

export interface OpenAiErrorBody {
  error?: { message?: string; type?: string; code?: string | null; param?: string | null };
}

export interface OpenAiEmbeddings {
  data: Array<{ index: number; embedding: number[] }>;
  model: string;
  usage?: { prompt_tokens: number; total_tokens: number };
}

export interface OpenAiModelList {
  data: Array<{ id: string; owned_by?: string; created?: number }>;
}
