import { MODELS } from './models.data.js';

/** How a model's tokens are counted: an exact BPE encoding, or the calibrated character estimate. */
export type TokenizerKind = 'o200k' | 'cl100k' | 'estimate';

/** What the upstream API accepts for a model. */
export interface ModelCapabilities {
  readonly tools: boolean;
  readonly vision: boolean;
  readonly embeddings: boolean;
  readonly streaming: boolean;
  /** A native switch that constrains output to JSON (OpenAI `response_format`, Ollama `format`). */
  readonly jsonMode: boolean;
}

/** List prices in USD per million tokens. */
export interface ModelPricing {
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
}

/** Limits, capabilities, prices and tokenizer of one upstream model. */
export interface ModelInfo {
  /** Prompt plus completion tokens the model accepts. */
  readonly contextWindow: number;
  /** Completion tokens the model can produce; equals contextWindow where there is no separate cap, 0 for embedding models. */
  readonly maxOutputTokens: number;
  readonly capabilities: ModelCapabilities;
  readonly pricing: ModelPricing;
  /** Vector length of an embedding model's output. */
  readonly embeddingDimensions?: number;
  readonly tokenizer: TokenizerKind;
}

/** What an upstream model listing revealed about a model (Ollama `/api/show`, Anthropic `/v1/models`). */
export interface DiscoveredModelInfo {
  readonly contextWindow?: number;
  readonly maxOutputTokens?: number;
  readonly capabilities?: Partial<ModelCapabilities>;
  readonly embeddingDimensions?: number;
}

type DefaultsKey = 'openai' | 'anthropic' | 'ollama' | 'default';

/**
 * Assumptions for a model that an upstream lists but the table does not know. Limits are the floor
 * of the provider's current models (Ollama: 8192, a common `num_ctx`), so context checks err on the
 * tight side; hosted models are priced like the provider's most expensive listed model so cost
 * reports over-state rather than hide spend; capabilities of hosted models follow their current
 * chat models, because the upstream rejects what a model cannot do with a clear error, whereas
 * local Ollama models claim nothing that `/api/show` did not report. Proxies such as LiteLLM
 * report their own cost, hence price 0 under 'default'.
 */
export const DEFAULT_UNKNOWN_MODEL_INFO: Readonly<Record<DefaultsKey, ModelInfo>> = {
  openai: {
    contextWindow: 128_000,
    maxOutputTokens: 4_096,
    capabilities: { tools: true, vision: false, embeddings: false, streaming: true, jsonMode: true },
    pricing: { inputPerMTok: 2.5, outputPerMTok: 10 },
    tokenizer: 'o200k',
  },
  anthropic: {
    contextWindow: 200_000,
    maxOutputTokens: 4_096,
    capabilities: { tools: true, vision: true, embeddings: false, streaming: true, jsonMode: false },
    pricing: { inputPerMTok: 15, outputPerMTok: 75 },
    tokenizer: 'estimate',
  },
  ollama: {
    contextWindow: 8_192,
    maxOutputTokens: 8_192,
    capabilities: { tools: false, vision: false, embeddings: false, streaming: true, jsonMode: true },
    pricing: { inputPerMTok: 0, outputPerMTok: 0 },
    tokenizer: 'estimate',
  },
  default: {
    contextWindow: 8_192,
    maxOutputTokens: 4_096,
    capabilities: { tools: false, vision: false, embeddings: false, streaming: true, jsonMode: false },
    pricing: { inputPerMTok: 0, outputPerMTok: 0 },
    tokenizer: 'estimate',
  },
};

// LiteLLM names models `<provider>/<model>`; these prefixes map onto table providers.
const LITELLM_PROVIDERS: Readonly<Record<string, string>> = {
  openai: 'openai',
  anthropic: 'anthropic',
  ollama: 'ollama',
  ollama_chat: 'ollama',
};

const LATEST_SUFFIX = '-latest';

/**
 * Per provider, the stems that dated snapshots extend, longest first: `gpt-4o-mini` before
 * `gpt-4o`; an alias `claude-3-5-haiku-latest` contributes `claude-3-5-haiku`.
 */
const SNAPSHOT_STEMS: ReadonlyMap<string, ReadonlyArray<{ stem: string; key: string }>> = buildStems();

function buildStems(): Map<string, Array<{ stem: string; key: string }>> {
  const byProvider = new Map<string, Array<{ stem: string; key: string }>>();
  for (const key of Object.keys(MODELS)) {
    const slash = key.indexOf('/');
    const provider = key.slice(0, slash);
    const model = key.slice(slash + 1);
    const stem = model.endsWith(LATEST_SUFFIX) ? model.slice(0, -LATEST_SUFFIX.length) : model;
    const list = byProvider.get(provider) ?? [];
    list.push({ stem, key });
    byProvider.set(provider, list);
  }
  for (const list of byProvider.values()) list.sort((a, b) => b.stem.length - a.stem.length);
  return byProvider;
}

function splitOnce(value: string, separator: string): [string, string] | undefined {
  const at = value.indexOf(separator);
  return at < 0 ? undefined : [value.slice(0, at), value.slice(at + separator.length)];
}

function has(key: string): boolean {
  return Object.hasOwn(MODELS, key);
}

/** Longest table stem that the model equals or extends on a `-` boundary (`gpt-4o-mini-2024-07-18`). */
function snapshotKey(provider: string, model: string): string | undefined {
  for (const { stem, key } of SNAPSHOT_STEMS.get(provider) ?? []) {
    if (model === stem || model.startsWith(`${stem}-`)) return key;
  }
  return undefined;
}

/** Ollama's implicit tag: `llama3.2:latest` and `llama3.2` are the same model. Other tags are other models. */
function ollamaKey(model: string): string | undefined {
  const [name, tag] = splitOnce(model, ':') ?? [model, 'latest'];
  if (tag !== 'latest') return undefined;
  const bare = `ollama/${name}`;
  if (has(bare)) return bare;
  const tagged = `ollama/${name}:latest`;
  return has(tagged) ? tagged : undefined;
}

/** The table key a provider's model id resolves to, or undefined when the table does not know it. */
export function resolveModelKey(provider: string, model: string): string | undefined {
  const p = provider.trim().toLowerCase();
  const m = model.trim().toLowerCase();
  if (p === '' || m === '') return undefined;
  const exact = `${p}/${m}`;
  if (has(exact)) return exact;
  switch (p) {
    case 'openai':
    case 'anthropic':
      return snapshotKey(p, m);
    case 'ollama':
      return ollamaKey(m);
    case 'litellm': {
      const nested = splitOnce(m, '/');
      const target = nested && LITELLM_PROVIDERS[nested[0]];
      return nested && target ? resolveModelKey(target, nested[1]) : undefined;
    }
    default:
      return undefined;
  }
}

/** The table entry for a provider's model id (exact, Ollama `:latest`, dated snapshot), if any. */
export function lookupModelInfo(provider: string, model: string): ModelInfo | undefined {
  const key = resolveModelKey(provider, model);
  return key === undefined ? undefined : MODELS[key];
}

const EMBEDDING_NAME = /(^|[-_./:])embed/;

/**
 * The table entry, or the provider's defaults for an unknown model; what the upstream listing
 * reported overrides either. Unknown names containing "embed" are treated as embedding models.
 */
export function resolveModelInfo(
  provider: string,
  model: string,
  discovered: DiscoveredModelInfo = {},
): ModelInfo {
  const base = lookupModelInfo(provider, model) ?? unknownModelInfo(provider, model);
  const embeddingDimensions = discovered.embeddingDimensions ?? base.embeddingDimensions;
  return {
    contextWindow: discovered.contextWindow ?? base.contextWindow,
    maxOutputTokens: discovered.maxOutputTokens ?? base.maxOutputTokens,
    capabilities: { ...base.capabilities, ...definedOnly(discovered.capabilities) },
    pricing: base.pricing,
    tokenizer: base.tokenizer,
    ...(embeddingDimensions === undefined ? {} : { embeddingDimensions }),
  };
}

function unknownModelInfo(provider: string, model: string): ModelInfo {
  const p = provider.trim().toLowerCase();
  const defaults =
    p === 'openai' || p === 'anthropic' || p === 'ollama'
      ? DEFAULT_UNKNOWN_MODEL_INFO[p]
      : DEFAULT_UNKNOWN_MODEL_INFO.default;
  if (!EMBEDDING_NAME.test(model.trim().toLowerCase())) return defaults;
  return {
    ...defaults,
    maxOutputTokens: 0,
    capabilities: { tools: false, vision: false, embeddings: true, streaming: false, jsonMode: false },
    pricing: { inputPerMTok: maxEmbeddingPrice(p) ?? defaults.pricing.inputPerMTok, outputPerMTok: 0 },
    // OpenAI's embedding models use cl100k_base.
    tokenizer: p === 'openai' ? 'cl100k' : defaults.tokenizer,
  };
}

/** Input price of the provider's most expensive listed embedding model. */
function maxEmbeddingPrice(provider: string): number | undefined {
  let max: number | undefined;
  for (const [key, info] of Object.entries(MODELS)) {
    if (!key.startsWith(`${provider}/`) || !info.capabilities.embeddings) continue;
    max = Math.max(max ?? 0, info.pricing.inputPerMTok);
  }
  return max;
}

function definedOnly(capabilities: Partial<ModelCapabilities> | undefined): Partial<ModelCapabilities> {
  if (capabilities === undefined) return {};
  return Object.fromEntries(Object.entries(capabilities).filter(([, v]) => v !== undefined));
}
