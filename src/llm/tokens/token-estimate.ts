// Token estimate for models without a local tokenizer (Anthropic, Ollama), from character classes.
//
// Calibrated against exact o200k_base counts on the 20 samples of bench/tokenizer/samples.json by
// bench/tokenizer/compare.mjs (same algorithm in bench/tokenizer/estimate.mjs; keep them in step).
// Measured on 2026-11-25: on the 17 ordinary samples (English, code, JSON, markdown, logs, CJK,
// Cyrillic/Arabic/Hebrew, Hindi/Thai, emoji, accented text, whitespace) the estimate is
// 1.00–1.54x the exact count, mean 1.18x, never below; opaque and adversarial samples (base64 and
// JWTs, Zalgo with special-token lookalikes) may be up to 20% below (measured 0.80–0.81x); on a
// held-out ~10k-token mixed text it is 1.33x. Plain ceil(chars / 4) ranges 0.35–1.58x there.
// Claude's and Mistral's tokenizers yield more tokens than o200k, so the over-estimate is the only
// margin for them: context checks on estimated models should keep one of their own.

/** Fitted constants; see bench/results/tokenizer.md. */
export const ESTIMATE_PARAMS = {
  /** A run of ASCII letters up to this long is one token... */
  wordLetters: 6,
  /** ...and each further this many letters adds one. */
  letters: 8,
  /** Characters per token in runs of ASCII digits, other ASCII symbols, ASCII whitespace. */
  digits: 2.5,
  symbols: 1.5,
  whitespace: 6,
  /** Tokens per non-ASCII code point, by group (see nonAsciiWeight). */
  latin: 0.5,
  emoji: 1.5,
  cjk: 0.8,
} as const;

/** The largest ratio by which the estimate fell short of the exact count on any calibration sample. */
export const ESTIMATE_MAX_UNDER_COUNT = 0.2;

type Run = 'none' | 'letters' | 'digits' | 'symbols' | 'whitespace';

const isUpper = (cp: number): boolean => cp >= 0x41 && cp <= 0x5a;
const isLower = (cp: number): boolean => cp >= 0x61 && cp <= 0x7a;

function asciiRun(cp: number): Run {
  if (isUpper(cp) || isLower(cp)) return 'letters';
  if (cp >= 0x30 && cp <= 0x39) return 'digits';
  if (cp === 0x20 || (cp >= 0x09 && cp <= 0x0d)) return 'whitespace';
  return 'symbols';
}

/**
 * Below U+2000: accented Latin, combining marks, Greek, Cyrillic, Hebrew, Arabic, Indic, Thai.
 * Punctuation, symbols, arrows, math, dingbats, variation selectors, U+FEFF, emoji and lone
 * surrogates tokenize worst. Everything else (CJK, kana, Hangul, fullwidth) in between.
 */
function nonAsciiWeight(cp: number): number {
  if (cp < 0x2000) return ESTIMATE_PARAMS.latin;
  if (cp < 0x2e80) return ESTIMATE_PARAMS.emoji;
  if ((cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0xfe00 && cp <= 0xfe0f) || cp === 0xfeff)
    return ESTIMATE_PARAMS.emoji;
  if ((cp >= 0x1f000 && cp < 0x20000) || cp >= 0xe0000) return ESTIMATE_PARAMS.emoji;
  return ESTIMATE_PARAMS.cjk;
}

function runCost(run: Run, length: number, nextIsNonSpace: boolean): number {
  const p = ESTIMATE_PARAMS;
  switch (run) {
    case 'none':
      return 0;
    case 'letters':
      return length <= p.wordLetters ? 1 : 1 + Math.ceil((length - p.wordLetters) / p.letters);
    case 'digits':
      return Math.ceil(length / p.digits);
    case 'symbols':
      return Math.ceil(length / p.symbols);
    case 'whitespace':
      // One space before a word is folded into the word's token (" world").
      return Math.ceil((nextIsNonSpace ? length - 1 : length) / p.whitespace);
  }
}

/**
 * Estimated token count of text: ASCII runs per class (letter runs also break at a lower→upper
 * case change, as BPE pre-tokenizers do) plus a weight per non-ASCII code point, rounded up.
 */
export function estimateTokens(text: string): number {
  let sum = 0;
  let run: Run = 'none';
  let runLength = 0;
  let prevLower = false;
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i) ?? 0;
    i += cp > 0xffff ? 2 : 1;
    if (cp >= 0x80) {
      sum += runCost(run, runLength, true) + nonAsciiWeight(cp);
      run = 'none';
      runLength = 0;
      continue;
    }
    const next = asciiRun(cp);
    if (next !== run || (next === 'letters' && prevLower && isUpper(cp))) {
      sum += runCost(run, runLength, next !== 'whitespace');
      run = next;
      runLength = 0;
    }
    prevLower = isLower(cp);
    runLength++;
  }
  sum += runCost(run, runLength, false);
  // The epsilon absorbs float error in sums of fractional weights; max() turns -0 into 0.
  return Math.max(0, Math.ceil(sum - 1e-9));
}
