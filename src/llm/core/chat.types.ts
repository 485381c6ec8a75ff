/**
 * Provider-neutral chat types (OpenAI-shaped, since that is the gateway's public dialect).
 * Adapters translate these to and from their wire formats; nothing here imports Nest or an SDK.
 */

export type ChatRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export type ContentPart =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string; detail?: 'auto' | 'low' | 'high' } };

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: ChatRole;
  content: string | ContentPart[] | null;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
}

export interface ToolDefinition {
  type: 'function';
  function: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean };
}

export type ToolChoice = 'none' | 'auto' | 'required' | { type: 'function'; function: { name: string } };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | {
      type: 'json_schema';
      json_schema: { name: string; schema?: Record<string, unknown>; strict?: boolean };
    };

/** A chat call as the gateway hands it to a provider: `model` is the upstream's own model name. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  stop?: string[];
  seed?: number;
  user?: string;
  responseFormat?: ResponseFormat;
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  presencePenalty?: number;
  frequencyPenalty?: number;
}

export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

export interface ChatResult {
  id: string;
  /** The model the upstream says answered (may be a dated snapshot of the requested one). */
  model: string;
  created: number;
  content: string | null;
  toolCalls?: ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
  upstreamRequestId?: string;
  warnings: string[];
}

/** One event of a streamed answer. Streams end with exactly one `finish` or one `error`. */
export type ChatStreamPart =
  | { type: 'start'; id?: string; model?: string; upstreamRequestId?: string; warnings: string[] }
  | { type: 'text-delta'; text: string }
  | { type: 'tool-call-delta'; index: number; id?: string; name?: string; argumentsDelta: string }
  | { type: 'finish'; finishReason: FinishReason; usage?: Usage };

export interface CallOptions {
  /** Aborts the upstream request (client went away, drain deadline, timeout). */
  signal: AbortSignal;
}

export interface EmbedRequest {
  model: string;
  input: string[];
  dimensions?: number;
}

export interface EmbedResult {
  model: string;
  vectors: number[][];
  promptTokens: number;
}

export interface UpstreamModel {
  /** The upstream's own id, e.g. `gpt-4o-mini` or `llama3.2:latest`. */
  id: string;
  ownedBy?: string;
  created?: number;
}
