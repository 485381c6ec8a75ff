import { createHash } from 'node:crypto';

export const OPENAI_EMBEDDING_DIMENSIONS: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};

export const OLLAMA_EMBEDDING_DIMENSIONS: Record<string, number> = {
  'all-minilm': 384,
  'nomic-embed-text': 768,
  'mxbai-embed-large': 1024,
  'bge-m3': 1024,
};

/** Dimension for a model from a table keyed by bare model names (`:tag` suffixes ignored). */
export function dimensionFor(model: string, table: Record<string, number>, fallback: number): number {
  return table[model] ?? table[model.replace(/:[^:/]+$/, '')] ?? fallback;
}

/**
 * A deterministic, L2-normalised vector built by feature hashing the lowercased words, so equal
 * texts give equal vectors and texts sharing words have a higher cosine similarity.
 */
export function embedText(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [''];
  for (const word of words) {
    const digest = createHash('sha256').update(word).digest();
    for (let k = 0; k < 4; k++) {
      const slot = digest.readUInt32LE(k * 8) % dimensions;
      const sign = (digest[k * 8 + 4] ?? 0) & 1 ? 1 : -1;
      vector[slot] = (vector[slot] ?? 0) + sign * (1 + ((digest[k * 8 + 5] ?? 0) % 4) / 4);
    }
  }
  const norm = Math.sqrt(vector.reduce((sum, v) => sum + v * v, 0));
  return vector.map((v) => (norm === 0 ? 0 : Math.fround(v / norm)));
}

/** Little-endian float32 bytes in base64 (OpenAI `encoding_format: "base64"`). */
export function toBase64Float32(vector: number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
  return bytes.toString('base64');
}

export function fromBase64Float32(encoded: string): number[] {
  const bytes = Buffer.from(encoded, 'base64');
  return Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
}

/** `input` as a list of texts: a string, strings, token ids or arrays of token ids. */
export function embeddingInputs(input: unknown): string[] | undefined {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input) || input.length === 0) return undefined;
  if (input.every((i) => typeof i === 'number')) return [input.join(' ')];
  const texts = input.map((i: unknown) => {
    if (typeof i === 'string') return i;
    if (Array.isArray(i) && i.every((t) => typeof t === 'number')) return i.join(' ');
    return undefined;
  });
  return texts.every((t): t is string => t !== undefined) ? texts : undefined;
}
