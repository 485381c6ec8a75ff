import {
  DEFAULT_UNKNOWN_MODEL_INFO,
  lookupModelInfo,
  resolveModelInfo,
  resolveModelKey,
} from './model-info.js';
import { MODELS } from './models.data.js';

const REQUIRED_KEYS = [
  'openai/gpt-4o',
  'openai/gpt-4o-mini',
  'openai/gpt-4.1',
  'openai/gpt-4.1-mini',
  'openai/gpt-4.1-nano',
  'openai/o3-mini',
  'openai/o4-mini',
  'openai/gpt-3.5-turbo',
  'openai/text-embedding-3-small',
  'openai/text-embedding-3-large',
  'openai/text-embedding-ada-002',
  'anthropic/claude-sonnet-4-5',
  'anthropic/claude-opus-4-1',
  'anthropic/claude-haiku-4-5',
  'anthropic/claude-3-5-haiku-latest',
  'anthropic/claude-3-7-sonnet-latest',
  'ollama/llama3.2',
  'ollama/llama3.1',
  'ollama/qwen2.5',
  'ollama/mistral',
  'ollama/nomic-embed-text',
  'ollama/mxbai-embed-large',
];

describe('MODELS table', () => {
  it('covers every required model', () => {
    expect(Object.keys(MODELS)).toEqual(expect.arrayContaining(REQUIRED_KEYS));
  });

  it.each(Object.entries(MODELS))('%s has consistent limits, prices and capabilities', (key, info) => {
    expect(key).toBe(key.toLowerCase());
    expect(key).toMatch(/^(openai|anthropic|ollama)\/[a-z0-9.:-]+$/);
    expect(info.contextWindow).toBeGreaterThan(0);
    expect(info.maxOutputTokens).toBeLessThanOrEqual(info.contextWindow);
    expect(info.pricing.inputPerMTok).toBeGreaterThanOrEqual(0);
    expect(info.pricing.outputPerMTok).toBeGreaterThanOrEqual(0);
    if (info.capabilities.embeddings) {
      expect(info.embeddingDimensions).toBeGreaterThan(0);
      expect(info.maxOutputTokens).toBe(0);
      expect(info.capabilities.streaming).toBe(false);
    } else {
      expect(info.embeddingDimensions).toBeUndefined();
      expect(info.maxOutputTokens).toBeGreaterThan(0);
    }
    if (key.startsWith('ollama/')) expect(info.pricing).toEqual({ inputPerMTok: 0, outputPerMTok: 0 });
    if (key.startsWith('anthropic/') || key.startsWith('ollama/')) expect(info.tokenizer).toBe('estimate');
  });

  it('records the embedding dimensions and tokenizers of the embedding models', () => {
    expect(MODELS['openai/text-embedding-3-small']).toMatchObject({
      embeddingDimensions: 1536,
      tokenizer: 'cl100k',
    });
    expect(MODELS['openai/text-embedding-3-large']).toMatchObject({
      embeddingDimensions: 3072,
      tokenizer: 'cl100k',
    });
    expect(MODELS['openai/text-embedding-ada-002']).toMatchObject({
      embeddingDimensions: 1536,
      tokenizer: 'cl100k',
    });
    expect(MODELS['ollama/nomic-embed-text']?.embeddingDimensions).toBe(768);
    expect(MODELS['ollama/mxbai-embed-large']?.embeddingDimensions).toBe(1024);
  });

  it('uses o200k for the GPT-4o, GPT-4.1 and o-series models and cl100k for gpt-3.5-turbo', () => {
    for (const m of [
      'gpt-4o',
      'gpt-4o-mini',
      'gpt-4.1',
      'gpt-4.1-mini',
      'gpt-4.1-nano',
      'o3-mini',
      'o4-mini',
    ]) {
      expect(MODELS[`openai/${m}`]?.tokenizer).toBe('o200k');
    }
    expect(MODELS['openai/gpt-3.5-turbo']?.tokenizer).toBe('cl100k');
  });

  it('is frozen, so shared entries cannot be changed by a caller', () => {
    const info = lookupModelInfo('openai', 'gpt-4o');
    expect(() => {
      (info as { contextWindow: number }).contextWindow = 1;
    }).toThrow(TypeError);
    expect(() => {
      (info?.capabilities as { tools: boolean }).tools = false;
    }).toThrow(TypeError);
  });
});

describe('lookupModelInfo', () => {
  it('finds exact ids, case-insensitively and ignoring surrounding spaces', () => {
    expect(lookupModelInfo('openai', 'gpt-4o')).toBe(MODELS['openai/gpt-4o']);
    expect(lookupModelInfo('OpenAI', ' GPT-4o-Mini ')).toBe(MODELS['openai/gpt-4o-mini']);
    expect(lookupModelInfo('anthropic', 'claude-3-5-haiku-latest')).toBe(
      MODELS['anthropic/claude-3-5-haiku-latest'],
    );
  });

  it.each([
    ['openai', 'gpt-4o-mini-2024-07-18', 'openai/gpt-4o-mini'],
    ['openai', 'gpt-4o-2024-08-06', 'openai/gpt-4o'],
    ['openai', 'gpt-4.1-2025-04-14', 'openai/gpt-4.1'],
    ['openai', 'gpt-4.1-mini-2025-04-14', 'openai/gpt-4.1-mini'],
    ['openai', 'gpt-4.1-nano-2025-04-14', 'openai/gpt-4.1-nano'],
    ['openai', 'o3-mini-2025-01-31', 'openai/o3-mini'],
    ['openai', 'o4-mini-2025-04-16', 'openai/o4-mini'],
    ['openai', 'gpt-3.5-turbo-0125', 'openai/gpt-3.5-turbo'],
    ['anthropic', 'claude-sonnet-4-5-20250929', 'anthropic/claude-sonnet-4-5'],
    ['anthropic', 'claude-opus-4-1-20250805', 'anthropic/claude-opus-4-1'],
    ['anthropic', 'claude-haiku-4-5-20251001', 'anthropic/claude-haiku-4-5'],
    ['anthropic', 'claude-3-5-haiku-20241022', 'anthropic/claude-3-5-haiku-latest'],
    ['anthropic', 'claude-3-7-sonnet-20250219', 'anthropic/claude-3-7-sonnet-latest'],
    ['anthropic', 'claude-3-7-sonnet', 'anthropic/claude-3-7-sonnet-latest'],
  ])('matches the dated snapshot %s/%s to %s by the longest prefix', (provider, model, key) => {
    expect(resolveModelKey(provider, model)).toBe(key);
    expect(lookupModelInfo(provider, model)).toBe(MODELS[key]);
  });

  it.each([
    ['openai', 'gpt-4'],
    ['openai', 'gpt-4omni'],
    ['openai', 'o3'],
    ['openai', 'gpt-4.10'],
    ['anthropic', 'claude-opus-4'],
    ['anthropic', 'claude-3-5-sonnet-20241022'],
    ['anthropic', 'gpt-4o'],
    ['mistral', 'gpt-4o'],
    ['', 'gpt-4o'],
    ['openai', ''],
  ])('does not guess for %s/%s', (provider, model) => {
    expect(lookupModelInfo(provider, model)).toBeUndefined();
  });

  it('treats Ollama name:latest and name as the same model, and other tags as other models', () => {
    expect(lookupModelInfo('ollama', 'llama3.2:latest')).toBe(MODELS['ollama/llama3.2']);
    expect(lookupModelInfo('ollama', 'nomic-embed-text:latest')).toBe(MODELS['ollama/nomic-embed-text']);
    expect(lookupModelInfo('ollama', 'qwen2.5')).toBe(MODELS['ollama/qwen2.5']);
    expect(lookupModelInfo('ollama', 'llama3.2:1b')).toBeUndefined();
    // No prefix matching for Ollama: llama3.2-vision is a different model with different capabilities.
    expect(lookupModelInfo('ollama', 'llama3.2-vision')).toBeUndefined();
  });

  it('follows LiteLLM <provider>/<model> names into the table', () => {
    expect(lookupModelInfo('litellm', 'openai/gpt-4o-mini-2024-07-18')).toBe(MODELS['openai/gpt-4o-mini']);
    expect(lookupModelInfo('litellm', 'anthropic/claude-sonnet-4-5-20250929')).toBe(
      MODELS['anthropic/claude-sonnet-4-5'],
    );
    expect(lookupModelInfo('litellm', 'ollama_chat/llama3.1:latest')).toBe(MODELS['ollama/llama3.1']);
    expect(lookupModelInfo('litellm', 'gpt-4o')).toBeUndefined();
    expect(lookupModelInfo('litellm', 'bedrock/claude-sonnet-4-5')).toBeUndefined();
  });
});

describe('resolveModelInfo', () => {
  it('returns the table entry for a known model', () => {
    expect(resolveModelInfo('openai', 'gpt-4o-mini-2024-07-18')).toEqual(MODELS['openai/gpt-4o-mini']);
  });

  it('assumes an 8192-token window for an unknown Ollama model unless the upstream reported one', () => {
    const unknown = resolveModelInfo('ollama', 'phi4:14b');
    expect(unknown).toEqual(DEFAULT_UNKNOWN_MODEL_INFO.ollama);
    expect(unknown.contextWindow).toBe(8192);
    expect(unknown.capabilities.tools).toBe(false);

    const discovered = resolveModelInfo('ollama', 'phi4:14b', {
      contextWindow: 16_384,
      capabilities: { tools: true },
    });
    expect(discovered.contextWindow).toBe(16_384);
    expect(discovered.capabilities).toEqual({
      ...DEFAULT_UNKNOWN_MODEL_INFO.ollama.capabilities,
      tools: true,
    });
  });

  it('lets what the upstream reported override the table', () => {
    const info = resolveModelInfo('anthropic', 'claude-sonnet-4-5-20250929', {
      contextWindow: 1_000_000,
      capabilities: { vision: undefined },
    });
    expect(info.contextWindow).toBe(1_000_000);
    expect(info.maxOutputTokens).toBe(64_000);
    expect(info.capabilities.vision).toBe(true);
  });

  it('gives unknown hosted models conservative defaults', () => {
    const openai = resolveModelInfo('openai', 'gpt-5.5');
    expect(openai).toEqual(DEFAULT_UNKNOWN_MODEL_INFO.openai);
    expect(openai.tokenizer).toBe('o200k');
    // Priced like the most expensive listed model of the provider.
    const listed = Object.entries(MODELS).filter(([k]) => k.startsWith('anthropic/'));
    const anthropic = resolveModelInfo('anthropic', 'claude-opus-5');
    expect(anthropic.pricing.outputPerMTok).toBe(Math.max(...listed.map(([, v]) => v.pricing.outputPerMTok)));
    expect(resolveModelInfo('vllm', 'some-model')).toEqual(DEFAULT_UNKNOWN_MODEL_INFO.default);
  });

  it('treats unknown models named like embedding models as embedding models', () => {
    const info = resolveModelInfo('openai', 'text-embedding-4-small', { embeddingDimensions: 2048 });
    expect(info.capabilities).toEqual({
      tools: false,
      vision: false,
      embeddings: true,
      streaming: false,
      jsonMode: false,
    });
    expect(info.tokenizer).toBe('cl100k');
    expect(info.embeddingDimensions).toBe(2048);
    expect(info.maxOutputTokens).toBe(0);
    expect(info.pricing).toEqual({ inputPerMTok: 0.13, outputPerMTok: 0 });
    expect(resolveModelInfo('ollama', 'bge-m3:latest').capabilities.embeddings).toBe(false);
    expect(resolveModelInfo('ollama', 'snowflake-arctic-embed:latest').capabilities.embeddings).toBe(true);
  });
});
