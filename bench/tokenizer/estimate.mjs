// Character-class token estimate and its calibration against exact o200k_base counts.
// src/llm/tokens/token-estimate.ts implements the same algorithm with the fitted constants;
// keep the two in step.

/** Candidate values: divisors are characters per token, weights are tokens per code point. */
export const ESTIMATE_GRID = {
  wordLetters: [1, 2, 3, 4, 5, 6, 7, 8],
  letters: range(2, 8, 0.5),
  digits: [1, 1.5, 2, 2.5, 3],
  symbols: range(1, 4, 0.5),
  whitespace: [1, 2, 3, 4, 6, 8, 12, 16, 24],
  latin: range(0.2, 1.2, 0.1),
  emoji: range(0.5, 2.5, 0.1),
  cjk: range(0.5, 1.5, 0.1),
};

/**
 * Sample kinds whose estimate may fall short of the exact count, and by how much: opaque strings
 * (base64, hashes, JWTs) and adversarial text (Zalgo, lone surrogates) tokenize far worse than
 * any text a character-class rule can cover without doubling the estimate for ordinary text.
 * Every other kind must never be under-counted.
 */
export const UNDER_COUNT_MARGIN = { opaque: 0.2, adversarial: 0.2 };

function range(from, to, step) {
  const out = [];
  for (let v = from; v <= to + 1e-9; v += step) out.push(Number(v.toFixed(4)));
  return out;
}

const LETTERS = 0;
const DIGITS = 1;
const SYMBOLS = 2;
const WHITESPACE = 3;
const NONE = -1;

const isUpper = (cp) => cp >= 0x41 && cp <= 0x5a;
const isLower = (cp) => cp >= 0x61 && cp <= 0x7a;

function asciiClass(cp) {
  if (isUpper(cp) || isLower(cp)) return LETTERS;
  if (cp >= 0x30 && cp <= 0x39) return DIGITS;
  if (cp === 0x20 || (cp >= 0x09 && cp <= 0x0d)) return WHITESPACE;
  return SYMBOLS;
}

/**
 * Non-ASCII code points in three groups: 'latin' (U+0080–U+1FFF: accented Latin, combining marks,
 * Greek, Cyrillic, Hebrew, Arabic, Indic, Thai), 'emoji' (punctuation, symbols, arrows, math,
 * dingbats, variation selectors, U+FEFF, emoji planes, tags, lone surrogates) and 'cjk'
 * (everything else: CJK, kana, Hangul, fullwidth forms).
 */
function nonAsciiGroup(cp) {
  if (cp < 0x2000) return 'latin';
  if (cp < 0x2e80) return 'emoji';
  if ((cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0xfe00 && cp <= 0xfe0f) || cp === 0xfeff) return 'emoji';
  if ((cp >= 0x1f000 && cp < 0x20000) || cp >= 0xe0000) return 'emoji';
  return 'cjk';
}

/**
 * Splits text into ASCII runs per class (letter runs also break at a lower→upper case change, as
 * BPE pre-tokenizers do) and counts non-ASCII code points per group. One space before a
 * non-space is free: BPE vocabularies fold it into the next token (" world").
 */
export function features(text) {
  const runs = [new Map(), new Map(), new Map(), new Map()];
  const counts = { latin: 0, emoji: 0, cjk: 0 };
  let runClass = NONE;
  let runLen = 0;
  let prevLower = false;
  const flush = (nextIsNonSpace) => {
    if (runLen === 0) return;
    const len = runClass === WHITESPACE && nextIsNonSpace ? runLen - 1 : runLen;
    if (len > 0) runs[runClass].set(len, (runs[runClass].get(len) ?? 0) + 1);
    runLen = 0;
  };
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i);
    i += cp > 0xffff ? 2 : 1;
    if (cp >= 0x80) {
      flush(true);
      runClass = NONE;
      counts[nonAsciiGroup(cp)]++;
      continue;
    }
    const c = asciiClass(cp);
    if (c !== runClass || (c === LETTERS && prevLower && isUpper(cp))) {
      flush(c !== WHITESPACE);
      runClass = c;
    }
    prevLower = isLower(cp);
    runLen++;
  }
  flush(false);
  return { runs, counts };
}

/** A letter run of up to `wordLetters` letters is one token; each further `letters` letters add one. */
const letterRunCost = (len, wordLetters, letters) =>
  len <= wordLetters ? 1 : 1 + Math.ceil((len - wordLetters) / letters);
const runCost = (len, divisor) => Math.ceil(len / divisor);

export function estimateTokens(text, p) {
  const f = features(text);
  let sum = f.counts.latin * p.latin + f.counts.emoji * p.emoji + f.counts.cjk * p.cjk;
  for (const [len, n] of f.runs[LETTERS]) sum += n * letterRunCost(len, p.wordLetters, p.letters);
  for (const [len, n] of f.runs[DIGITS]) sum += n * runCost(len, p.digits);
  for (const [len, n] of f.runs[SYMBOLS]) sum += n * runCost(len, p.symbols);
  for (const [len, n] of f.runs[WHITESPACE]) sum += n * runCost(len, p.whitespace);
  return Math.max(0, Math.ceil(sum - 1e-9));
}

/**
 * Exhaustive grid search: the parameters with the smallest mean estimate/actual ratio among those
 * whose estimate is at least the actual count on every sample (less UNDER_COUNT_MARGIN for the
 * kinds listed there). Samples are `{ id, kind, text, o200k }`.
 */
export function fitEstimate(samples) {
  // Pure-ASCII samples first: they reject most ASCII parameter sets before the weight loops.
  const usable = samples.filter((s) => s.o200k > 0);
  const f0 = usable.map((s) => ({ s, f: features(s.text) }));
  f0.sort((a, b) => nonAscii(a.f) - nonAscii(b.f));
  const f = f0.map((x) => x.f);
  const actual = Float64Array.from(f0, (x) => x.s.o200k);
  // Smallest acceptable estimate per sample.
  const floor = Float64Array.from(f0, (x) =>
    Math.ceil(x.s.o200k * (1 - (UNDER_COUNT_MARGIN[x.s.kind] ?? 0)) - 1e-9),
  );
  const n = f.length;
  const pureAscii = f.filter((x) => nonAscii(x) === 0).length;
  const g = ESTIMATE_GRID;
  const histCost = (cls, cost) =>
    Float64Array.from(f, (fs) => [...fs.runs[cls]].reduce((a, [len, k]) => a + k * cost(len), 0));
  const lettersC = g.wordLetters.map((wl) =>
    g.letters.map((a) => histCost(LETTERS, (len) => letterRunCost(len, wl, a))),
  );
  const digitsC = g.digits.map((d) => histCost(DIGITS, (len) => runCost(len, d)));
  const symbolsC = g.symbols.map((d) => histCost(SYMBOLS, (len) => runCost(len, d)));
  const whitespaceC = g.whitespace.map((d) => histCost(WHITESPACE, (len) => runCost(len, d)));
  const nLatin = Float64Array.from(f, (x) => x.counts.latin);
  const nEmoji = Float64Array.from(f, (x) => x.counts.emoji);
  const nCjk = Float64Array.from(f, (x) => x.counts.cjk);
  const partial = new Float64Array(n);
  let best = null;
  for (let wl = 0; wl < g.wordLetters.length; wl++) {
    for (let a = 0; a < g.letters.length; a++) {
      for (let d = 0; d < g.digits.length; d++) {
        for (let s = 0; s < g.symbols.length; s++) {
          for (let w = 0; w < g.whitespace.length; w++) {
            let asciiRatio = 0;
            let feasible = true;
            for (let i = 0; i < n; i++) {
              partial[i] = lettersC[wl][a][i] + digitsC[d][i] + symbolsC[s][i] + whitespaceC[w][i];
              if (i < pureAscii) {
                const est = Math.ceil(partial[i] - 1e-9);
                if (est < floor[i]) {
                  feasible = false;
                  break;
                }
                asciiRatio += est / actual[i];
              }
            }
            if (!feasible || (best !== null && asciiRatio >= best.ratioSum)) continue;
            for (const la of g.latin) {
              for (const em of g.emoji) {
                for (const cj of g.cjk) {
                  let ratioSum = asciiRatio;
                  let ok = true;
                  for (let i = pureAscii; i < n; i++) {
                    const est = Math.ceil(partial[i] + nLatin[i] * la + nEmoji[i] * em + nCjk[i] * cj - 1e-9);
                    if (est < floor[i]) {
                      ok = false;
                      break;
                    }
                    ratioSum += est / actual[i];
                  }
                  if (ok && (best === null || ratioSum < best.ratioSum - 1e-12)) {
                    best = {
                      ratioSum,
                      params: {
                        wordLetters: g.wordLetters[wl],
                        letters: g.letters[a],
                        digits: g.digits[d],
                        symbols: g.symbols[s],
                        whitespace: g.whitespace[w],
                        latin: la,
                        emoji: em,
                        cjk: cj,
                      },
                    };
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  if (best === null) throw new Error('no grid point covers every calibration sample; widen ESTIMATE_GRID');
  return { params: best.params, meanRatio: best.ratioSum / n };
}

function nonAscii(f) {
  return f.counts.latin + f.counts.emoji + f.counts.cjk;
}
