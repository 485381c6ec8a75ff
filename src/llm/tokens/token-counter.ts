import {
  lookupModelInfo,
  resolveModelInfo,
  type ModelInfo,
  type TokenizerKind,
} from '../registry/model-info.js';
import { estimateTokens } from './token-estimate.js';

/** The exact BPE encodings the counter can load. */
export type BpeEncoding = Exclude<TokenizerKind, 'estimate'>;

export interface CountableTextPart {
  readonly type: 'text';
  readonly text: string;
}

export interface CountableImagePart {
  readonly type: 'image_url';
  readonly image_url?: { readonly url: string; readonly detail?: string };
}

export interface CountableToolCall {
  readonly function: { readonly name: string; readonly arguments: string };
}

/** The fields of an OpenAI-style chat message that cost prompt tokens. */
export interface CountableMessage {
  readonly role: string;
  readonly content: string | ReadonlyArray<CountableTextPart | CountableImagePart> | null;
  readonly name?: string;
  readonly tool_calls?: readonly CountableToolCall[];
  readonly tool_call_id?: string;
}

/** An OpenAI-style tool definition. */
export interface CountableTool {
  readonly function: { readonly name: string; readonly description?: string; readonly parameters?: unknown };
}

/** A model as `<provider>/<model>` (a bare id is looked up under each provider), or its resolved info. */
export type ModelRef = string | Pick<ModelInfo, 'tokenizer'>;

// OpenAI cookbook, "How to count tokens with tiktoken": every message is wrapped in
// <|start|>{role/name}\n{content}<|end|>\n, a name costs one more token, and every reply is
// primed with <|start|>assistant<|message|>.
const TOKENS_PER_MESSAGE = 3;
const TOKENS_PER_NAME = 1;
const REPLY_PRIMING_TOKENS = 3;
// Framing around each tool call an assistant message carries, and around the tool definitions.
const TOKENS_PER_TOOL_CALL = 3;
const TOOL_DEFINITIONS_TOKENS = 9;
// Image sizes are unknown here. OpenAI: 85 tokens at detail "low"; otherwise a 1024x1024 image
// (four 512px tiles: 85 + 4 x 170). Estimated models: Claude's cost for an image at its
// recommended maximum size (~1.15 megapixels / 750).
const IMAGE_TOKENS_LOW_DETAIL = 85;
const IMAGE_TOKENS_DEFAULT = 765;
const IMAGE_TOKENS_ESTIMATED = 1_600;

const PROVIDERS_FOR_BARE_IDS = ['openai', 'anthropic', 'ollama'] as const;

/** The slice of a gpt-tokenizer encoding module the counter uses. */
interface BpeModule {
  countTokens: (text: string, options: { disallowedSpecial: Set<string> }) => number;
}

// User text that contains "<|endoftext|>" is plain text to the API, not a special token.
const SPECIAL_TOKENS_AS_TEXT = { disallowedSpecial: new Set<string>() };

const LOADERS: Readonly<Record<BpeEncoding, () => Promise<BpeModule>>> = {
  o200k: () => import('gpt-tokenizer/encoding/o200k_base'),
  cl100k: () => import('gpt-tokenizer/encoding/cl100k_base'),
};

// Loading an encoding takes 0.3-1 s and 25-45 MB of RSS (bench/results/tokenizer.md), so each is
// imported on first use, once per process, and shared by every counter.
const loaded = new Map<BpeEncoding, Promise<BpeModule>>();

function loadEncoding(encoding: BpeEncoding): Promise<BpeModule> {
  let pending = loaded.get(encoding);
  if (pending === undefined) {
    pending = LOADERS[encoding]();
    // A failed import is retried by the next caller instead of being cached.
    pending.catch(() => loaded.delete(encoding));
    loaded.set(encoding, pending);
  }
  return pending;
}

/**
 * Counts prompt tokens: exactly (BPE, gpt-tokenizer) for OpenAI models, by the calibrated
 * character estimate of token-estimate.ts for models without a public tokenizer.
 */
export class TokenCounter {
  /** Loads encodings ahead of the first request; counting loads them on demand otherwise. */
  async preload(encodings: readonly BpeEncoding[] = ['o200k', 'cl100k']): Promise<void> {
    await Promise.all(encodings.map((e) => loadEncoding(e)));
  }

  /** The tokenizer a model is counted with; unknown models follow DEFAULT_UNKNOWN_MODEL_INFO. */
  tokenizerFor(model: ModelRef): TokenizerKind {
    if (typeof model !== 'string') return model.tokenizer;
    const slash = model.indexOf('/');
    if (slash > 0) return resolveModelInfo(model.slice(0, slash), model.slice(slash + 1)).tokenizer;
    for (const provider of PROVIDERS_FOR_BARE_IDS) {
      const info = lookupModelInfo(provider, model);
      if (info !== undefined) return info.tokenizer;
    }
    return 'estimate';
  }

  async countText(text: string, encoding: TokenizerKind): Promise<number> {
    const count = await this.counterFor(encoding);
    return count(text);
  }

  /** Prompt tokens of a chat request's messages, including the per-message framing and reply priming. */
  async countChat(messages: readonly CountableMessage[], model: ModelRef): Promise<number> {
    const kind = this.tokenizerFor(model);
    const count = await this.counterFor(kind);
    let total = REPLY_PRIMING_TOKENS;
    for (const message of messages) {
      total += TOKENS_PER_MESSAGE + count(message.role) + contentTokens(message.content, count, kind);
      if (message.name) total += count(message.name) + TOKENS_PER_NAME;
      if (message.tool_call_id) total += count(message.tool_call_id);
      for (const call of message.tool_calls ?? []) {
        total += TOKENS_PER_TOOL_CALL + count(call.function.name) + count(call.function.arguments);
      }
    }
    return total;
  }

  /**
   * Tokens that tool definitions add to the prompt, from the BPE count of each definition's JSON.
   * OpenAI renders tools more compactly (a TypeScript-like namespace), so this over-counts: by
   * 1.15–1.5x against that rendering on four sample tools. Provider-side tool prompts (Anthropic
   * adds a system prompt of a few hundred tokens when tools are present) are not included.
   */
  async countTools(
    tools: readonly CountableTool[],
    model: ModelRef = { tokenizer: 'o200k' },
  ): Promise<number> {
    if (tools.length === 0) return 0;
    const count = await this.counterFor(this.tokenizerFor(model));
    let total = TOOL_DEFINITIONS_TOKENS;
    for (const tool of tools) total += count(JSON.stringify(tool.function));
    return total;
  }

  private async counterFor(kind: TokenizerKind): Promise<(text: string) => number> {
    if (kind === 'estimate') return estimateTokens;
    const bpe = await loadEncoding(kind);
    return (text) => (text === '' ? 0 : bpe.countTokens(text, SPECIAL_TOKENS_AS_TEXT));
  }
}

function contentTokens(
  content: CountableMessage['content'],
  count: (text: string) => number,
  kind: TokenizerKind,
): number {
  if (content === null) return 0;
  if (typeof content === 'string') return count(content);
  let total = 0;
  for (const part of content) {
    if (part.type === 'text') total += count(part.text);
    else total += imageTokens(part, kind);
  }
  return total;
}

function imageTokens(part: CountableImagePart, kind: TokenizerKind): number {
  if (kind === 'estimate') return IMAGE_TOKENS_ESTIMATED;
  return part.image_url?.detail === 'low' ? IMAGE_TOKENS_LOW_DETAIL : IMAGE_TOKENS_DEFAULT;
}
