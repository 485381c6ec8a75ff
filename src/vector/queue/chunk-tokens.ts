import { tokenizeWords } from '../../llm/providers/local/index.js';
import { resolveModelInfo, type TokenizerKind } from '../../llm/registry/model-info.js';
import { estimateTokens } from '../../llm/tokens/token-estimate.js';

type CountTokens = (text: string) => number;

interface BpeModule {
  countTokens: (text: string, options: { disallowedSpecial: Set<string> }) => number;
}

// Text that contains "<|endoftext|>" is plain text to an embedder, not a special token.
const SPECIAL_TOKENS_AS_TEXT = { disallowedSpecial: new Set<string>() };

const LOADERS: Readonly<Record<Exclude<TokenizerKind, 'estimate'>, () => Promise<BpeModule>>> = {
  o200k: () => import('gpt-tokenizer/encoding/o200k_base'),
  cl100k: () => import('gpt-tokenizer/encoding/cl100k_base'),
};

function tokenizerOf(model: string): TokenizerKind {
  const slash = model.indexOf('/');
  if (slash <= 0) return 'estimate';
  const provider = model.slice(0, slash);
  const name = model.slice(slash + 1);
  return resolveModelInfo(provider, name).tokenizer;
}

/**
 * Counts tokens the way `model` sees them, so chunk sizes hold in the embedder's own units: words
 * for the local hash embedder, BPE tokens (gpt-tokenizer) for OpenAI models, the calibrated
 * character estimate for everything else. Synchronous once loaded, as the chunker needs.
 */
export async function chunkTokenCounter(model: string): Promise<CountTokens> {
  if (model.startsWith('local/')) return (text) => tokenizeWords(text).length;
  const kind = tokenizerOf(model);
  if (kind === 'estimate') return estimateTokens;
  // gpt-tokenizer caches the module: the first call loads the encoding once per process.
  const bpe = await LOADERS[kind]();
  return (text) => (text === '' ? 0 : bpe.countTokens(text, SPECIAL_TOKENS_AS_TEXT));
}
