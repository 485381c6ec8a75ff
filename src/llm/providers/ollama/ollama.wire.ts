import type { ToolDefinition } from '../../core/chat.types.js';

/** The subset of Ollama's native `/api/*` wire format the gateway reads and writes. */

/** Ollama sends and accepts tool arguments as a JSON object, not as a JSON string. */
export interface OllamaToolCall {
  /** `call_` + 8 random characters in current versions; absent in older ones. */
  id?: string;
  function: { index?: number; name: string; arguments: Record<string, unknown> };
}

export interface OllamaMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** Raw base64, without a `data:` prefix. */
  images?: string[];
  tool_calls?: OllamaToolCall[];
  /** On `role: 'tool'` results: the function that produced them. */
  tool_name?: string;
}

/** Modelfile parameter names. */
export interface OllamaOptions {
  temperature?: number;
  top_p?: number;
  num_predict?: number;
  stop?: string[];
  seed?: number;
}

export interface OllamaChatBody {
  model: string;
  messages: OllamaMessage[];
  /** Always explicit: Ollama streams when it is omitted. */
  stream: boolean;
  tools?: ToolDefinition[];
  /** `'json'` or a JSON Schema object (structured outputs). */
  format?: 'json' | Record<string, unknown>;
  options?: OllamaOptions;
}

/**
 * One `/api/chat` object: the whole answer when not streaming, otherwise one NDJSON line. Metric
 * fields are omitted when zero; `error` alone is the mid-stream failure form.
 */
export interface OllamaChatResponse {
  model?: string;
  created_at?: string;
  message?: {
    role?: string;
    content?: string;
    thinking?: string;
    tool_calls?: OllamaToolCall[] | null;
  };
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  error?: string;
}

export interface OllamaEmbedBody {
  model: string;
  input: string[];
  dimensions?: number;
}

export interface OllamaEmbedResponse {
  model?: string;
  embeddings?: number[][];
  prompt_eval_count?: number;
}

export interface OllamaTags {
  models?: Array<{ name: string; model?: string; modified_at?: string }> | null;
}

export interface OllamaErrorBody {
  error?: unknown;
}
