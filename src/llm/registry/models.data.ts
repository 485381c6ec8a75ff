// Known models, keyed by `<provider>/<model>`.
//
// Prices are published list prices in USD per million tokens as of 2026-11, standard tier, no
// batch or cache discounts. They change without notice: operators should verify them against the
// providers' pricing pages before relying on cost reports. Ollama models run locally and cost 0.
//
// Context windows are the model's own limit. For Ollama that is the trained context length that
// `/api/show` reports; the window actually used is the runtime `num_ctx`, usually smaller.
// Where a provider has no separate output cap (Ollama), maxOutputTokens equals the context window.
import type { ModelCapabilities, ModelInfo } from './model-info.js';

const CHAT_OPENAI: ModelCapabilities = {
  tools: true,
  vision: true,
  embeddings: false,
  streaming: true,
  jsonMode: true,
};
const CHAT_OPENAI_TEXT_ONLY: ModelCapabilities = { ...CHAT_OPENAI, vision: false };
const EMBEDDINGS: ModelCapabilities = {
  tools: false,
  vision: false,
  embeddings: true,
  streaming: false,
  jsonMode: false,
};
// Anthropic's structured outputs constrain JSON on the 4.x models only.
const CHAT_ANTHROPIC: ModelCapabilities = {
  tools: true,
  vision: true,
  embeddings: false,
  streaming: true,
  jsonMode: true,
};
const CHAT_ANTHROPIC_3: ModelCapabilities = { ...CHAT_ANTHROPIC, jsonMode: false };
// Ollama's `format` constrains output for any generation model.
const CHAT_OLLAMA: ModelCapabilities = {
  tools: true,
  vision: false,
  embeddings: false,
  streaming: true,
  jsonMode: true,
};

const FREE = { inputPerMTok: 0, outputPerMTok: 0 } as const;

const OPENAI_MODELS = {
  'openai/gpt-4o': {
    contextWindow: 128_000,
    maxOutputTokens: 16_384,
    capabilities: CHAT_OPENAI,
    pricing: { inputPerMTok: 2.5, outputPerMTok: 10 },
    tokenizer: 'o200k',
  },
  'openai/gpt-4o-mini': {
    contextWindow: 128_000,
    maxOutputTokens: 16_384,
    capabilities: CHAT_OPENAI,
    pricing: { inputPerMTok: 0.15, outputPerMTok: 0.6 },
    tokenizer: 'o200k',
  },
  'openai/gpt-4.1': {
    contextWindow: 1_047_576,
    maxOutputTokens: 32_768,
    capabilities: CHAT_OPENAI,
    pricing: { inputPerMTok: 2, outputPerMTok: 8 },
    tokenizer: 'o200k',
  },
  'openai/gpt-4.1-mini': {
    contextWindow: 1_047_576,
    maxOutputTokens: 32_768,
    capabilities: CHAT_OPENAI,
    pricing: { inputPerMTok: 0.4, outputPerMTok: 1.6 },
    tokenizer: 'o200k',
  },
  'openai/gpt-4.1-nano': {
    contextWindow: 1_047_576,
    maxOutputTokens: 32_768,
    capabilities: CHAT_OPENAI,
    pricing: { inputPerMTok: 0.1, outputPerMTok: 0.4 },
    tokenizer: 'o200k',
  },
  'openai/o3-mini': {
    contextWindow: 200_000,
    maxOutputTokens: 100_000,
    capabilities: CHAT_OPENAI_TEXT_ONLY,
    pricing: { inputPerMTok: 1.1, outputPerMTok: 4.4 },
    tokenizer: 'o200k',
  },
  'openai/o4-mini': {
    contextWindow: 200_000,
    maxOutputTokens: 100_000,
    capabilities: CHAT_OPENAI,
    pricing: { inputPerMTok: 1.1, outputPerMTok: 4.4 },
    tokenizer: 'o200k',
  },
  'openai/gpt-3.5-turbo': {
    contextWindow: 16_385,
    maxOutputTokens: 4_096,
    capabilities: CHAT_OPENAI_TEXT_ONLY,
    pricing: { inputPerMTok: 0.5, outputPerMTok: 1.5 },
    tokenizer: 'cl100k',
  },
  'openai/text-embedding-3-small': {
    contextWindow: 8_191,
    maxOutputTokens: 0,
    capabilities: EMBEDDINGS,
    pricing: { inputPerMTok: 0.02, outputPerMTok: 0 },
    embeddingDimensions: 1536,
    tokenizer: 'cl100k',
  },
  'openai/text-embedding-3-large': {
    contextWindow: 8_191,
    maxOutputTokens: 0,
    capabilities: EMBEDDINGS,
    pricing: { inputPerMTok: 0.13, outputPerMTok: 0 },
    embeddingDimensions: 3072,
    tokenizer: 'cl100k',
  },
  'openai/text-embedding-ada-002': {
    contextWindow: 8_191,
    maxOutputTokens: 0,
    capabilities: EMBEDDINGS,
    pricing: { inputPerMTok: 0.1, outputPerMTok: 0 },
    embeddingDimensions: 1536,
    tokenizer: 'cl100k',
  },
} satisfies Record<string, ModelInfo>;

// Anthropic publishes no tokenizer; counts are estimated. The 1M-token context of Sonnet 4.5 is
// a beta behind a header, so the table keeps the default 200k.
const ANTHROPIC_MODELS = {
  'anthropic/claude-sonnet-4-5': {
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    capabilities: CHAT_ANTHROPIC,
    pricing: { inputPerMTok: 3, outputPerMTok: 15 },
    tokenizer: 'estimate',
  },
  'anthropic/claude-opus-4-1': {
    contextWindow: 200_000,
    maxOutputTokens: 32_000,
    capabilities: CHAT_ANTHROPIC,
    pricing: { inputPerMTok: 15, outputPerMTok: 75 },
    tokenizer: 'estimate',
  },
  'anthropic/claude-haiku-4-5': {
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    capabilities: CHAT_ANTHROPIC,
    pricing: { inputPerMTok: 1, outputPerMTok: 5 },
    tokenizer: 'estimate',
  },
  'anthropic/claude-3-5-haiku-latest': {
    contextWindow: 200_000,
    maxOutputTokens: 8_192,
    capabilities: CHAT_ANTHROPIC_3,
    pricing: { inputPerMTok: 0.8, outputPerMTok: 4 },
    tokenizer: 'estimate',
  },
  'anthropic/claude-3-7-sonnet-latest': {
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    capabilities: CHAT_ANTHROPIC_3,
    pricing: { inputPerMTok: 3, outputPerMTok: 15 },
    tokenizer: 'estimate',
  },
} satisfies Record<string, ModelInfo>;

// Default tags of the Ollama library (llama3.2 = 3B, llama3.1 = 8B, qwen2.5 = 7B, mistral = 7B v0.3).
const OLLAMA_MODELS = {
  'ollama/llama3.2': {
    contextWindow: 131_072,
    maxOutputTokens: 131_072,
    capabilities: CHAT_OLLAMA,
    pricing: FREE,
    tokenizer: 'estimate',
  },
  'ollama/llama3.1': {
    contextWindow: 131_072,
    maxOutputTokens: 131_072,
    capabilities: CHAT_OLLAMA,
    pricing: FREE,
    tokenizer: 'estimate',
  },
  'ollama/qwen2.5': {
    contextWindow: 32_768,
    maxOutputTokens: 32_768,
    capabilities: CHAT_OLLAMA,
    pricing: FREE,
    tokenizer: 'estimate',
  },
  'ollama/mistral': {
    contextWindow: 32_768,
    maxOutputTokens: 32_768,
    capabilities: CHAT_OLLAMA,
    pricing: FREE,
    tokenizer: 'estimate',
  },
  'ollama/nomic-embed-text': {
    contextWindow: 2_048,
    maxOutputTokens: 0,
    capabilities: EMBEDDINGS,
    pricing: FREE,
    embeddingDimensions: 768,
    tokenizer: 'estimate',
  },
  'ollama/mxbai-embed-large': {
    contextWindow: 512,
    maxOutputTokens: 0,
    capabilities: EMBEDDINGS,
    pricing: FREE,
    embeddingDimensions: 1024,
    tokenizer: 'estimate',
  },
} satisfies Record<string, ModelInfo>;

function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const child of Object.values(value)) {
    if (typeof child === 'object' && child !== null && !Object.isFrozen(child)) deepFreeze(child as object);
  }
  return Object.freeze(value);
}

/** Every known model, keyed by `<provider>/<model>` in lower case; frozen so lookups can share entries. */
export const MODELS: Readonly<Record<string, ModelInfo>> = deepFreeze({
  ...OPENAI_MODELS,
  ...ANTHROPIC_MODELS,
  ...OLLAMA_MODELS,
});
