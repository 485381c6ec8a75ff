/** Just enough of each provider's response shapes for assertions in tests. */

export interface OpenAiUsageShape {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface OpenAiToolCallShape {
  index?: number;
  id?: string;
  type?: string;
  function: { name?: string; arguments?: string };
}

export interface OpenAiDeltaShape {
  role?: string;
  content?: string | null;
  refusal?: null;
  tool_calls?: OpenAiToolCallShape[];
}

export interface OpenAiChunkShape {
  id: string;
  object: string;
  model: string;
  choices: Array<{ index: number; delta: OpenAiDeltaShape; finish_reason: string | null }> | null;
  usage?: OpenAiUsageShape | null;
  error?: OpenAiErrorShape['error'];
}

export interface OpenAiCompletionShape {
  id: string;
  object: string;
  model: string;
  system_fingerprint?: string;
  choices: Array<{
    index: number;
    message: { role: string; content: string | null; tool_calls?: OpenAiToolCallShape[] };
    finish_reason: string;
  }>;
  usage: OpenAiUsageShape;
}

export interface OpenAiErrorShape {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export interface EmbeddingListShape {
  object: string;
  model: string;
  data: Array<{ object: string; index: number; embedding: number[] | string }>;
  usage: { prompt_tokens: number; total_tokens: number };
}

export interface ModelListShape {
  object?: string;
  data: Array<{ id: string; object?: string; owned_by?: string; display_name?: string; created_at?: string }>;
  has_more?: boolean;
  first_id?: string | null;
  last_id?: string | null;
}

export interface AnthropicUsageShape {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
}

export interface AnthropicEventShape {
  type: string;
  index?: number;
  message?: { id: string; content: unknown[]; stop_reason: string | null; usage: AnthropicUsageShape };
  content_block?: { type: string; id?: string; name?: string; text?: string; input?: unknown };
  delta?: {
    type?: string;
    text?: string;
    partial_json?: string;
    stop_reason?: string;
    stop_sequence?: string | null;
  };
  usage?: AnthropicUsageShape;
  error?: { type: string; message: string };
}

export interface AnthropicMessageShape {
  id: string;
  type: string;
  role: string;
  model: string;
  content: Array<{ type: string; text?: string; id?: string; name?: string; input?: unknown }>;
  stop_reason: string;
  stop_sequence: string | null;
  usage: AnthropicUsageShape;
}

export interface AnthropicErrorShape {
  type: 'error';
  error: { type: string; message: string };
  request_id: string;
}

export interface OllamaChatShape {
  model?: string;
  created_at?: string;
  message?: {
    role: string;
    content: string;
    tool_calls?: Array<{
      id?: string;
      function: { index?: number; name: string; arguments: Record<string, unknown> };
    }>;
  };
  response?: string;
  done?: boolean;
  done_reason?: string;
  total_duration?: number;
  prompt_eval_count?: number;
  eval_count?: number;
  eval_duration?: number;
  error?: string;
}

export interface LiteLlmErrorShape {
  error: { message: string; type: string; param: string; code: string };
}

export async function jsonOf<T>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

export function parseAs<T>(text: string): T {
  return JSON.parse(text) as T;
}
