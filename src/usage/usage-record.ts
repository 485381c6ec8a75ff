/** One model call, as the usage ledger stores it. */
export interface UsageRecord {
  at: Date;
  requestId: string;
  /** The issued key; undefined for the admin. */
  keyId?: string;
  endpoint: 'chat' | 'embeddings';
  /** The model as the client named it (an alias stays an alias). */
  model: string;
  provider?: string;
  targetModel?: string;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  costUsd: number;
  latencyMs: number;
  ttftMs?: number;
  /** HTTP status, or the status of the error that ended a stream; 499 when the client went away. */
  status: number;
  /** `hit`, `semantic-hit`, `miss` or `bypass`. */
  cache: string;
  stream: boolean;
}

export interface UsageRow {
  day: string;
  model: string;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  cost_usd: number;
  errors: number;
}
