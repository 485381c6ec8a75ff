/**
 * The built-in `local/hash-<dim>` embedder: deterministic feature hashing of lowercased word
 * unigrams, word bigrams and character trigrams into `dim` signed buckets, L2-normalised.
 * It is lexical, not neural: texts that share words and spellings score close, paraphrases with
 * different words do not. It needs no network and no model weights.
 */
export const LOCAL_HASH_MODEL = /^hash-(\d{1,5})$/;
export const LOCAL_HASH_MIN_DIM = 8;
export const LOCAL_HASH_MAX_DIM = 4096;

/** FNV-1a, 32-bit: fast, stable across platforms and releases. */
function fnv1a(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function addFeature(vec: Float64Array, feature: string, weight: number): void {
  const h = fnv1a(feature, 0);
  const sign = (fnv1a(feature, 0x9e3779b9) & 1) === 0 ? 1 : -1;
  vec[h % vec.length] += sign * weight;
}

export function tokenizeWords(text: string): string[] {
  return (
    text
      .toLowerCase()
      .normalize('NFKC')
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

export function embedLocalHash(text: string, dim: number): number[] {
  const vec = new Float64Array(dim);
  const words = tokenizeWords(text);
  for (let i = 0; i < words.length; i++) {
    addFeature(vec, `w:${words[i]}`, 1);
    if (i > 0) addFeature(vec, `b:${words[i - 1]} ${words[i]}`, 0.5);
    const padded = ` ${words[i]} `;
    for (let j = 0; j + 3 <= padded.length; j++) addFeature(vec, `c:${padded.slice(j, j + 3)}`, 0.25);
  }
  let norm = 0;
  for (const v of vec) norm += v * v;
  norm = Math.sqrt(norm);
  const out = new Array<number>(dim);
  for (let i = 0; i < dim; i++) out[i] = norm === 0 ? 0 : vec[i] / norm;
  return out;
}

/** Parses `hash-384` → 384; undefined when the name is not a valid local model. */
export function localHashDimension(model: string): number | undefined {
  const match = LOCAL_HASH_MODEL.exec(model);
  if (!match) return undefined;
  const dim = Number(match[1]);
  return dim >= LOCAL_HASH_MIN_DIM && dim <= LOCAL_HASH_MAX_DIM ? dim : undefined;
}
