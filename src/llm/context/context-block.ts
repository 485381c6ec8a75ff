import { createHash } from 'node:crypto';
import { GatewayError } from '../../common/errors/gateway-error.js';
import type { ChatMessage } from '../core/chat.types.js';
import type { RetrievedChunk } from './context-retriever.port.js';

/** `context: {collection, top_k?, min_score?, max_tokens?, filter?}` on a chat request, checked. */
export interface ContextRequest {
  collection: string;
  topK: number;
  minScore?: number;
  /** Most tokens the context block may take. */
  maxTokens: number;
  filter?: Record<string, unknown>;
}

export const CONTEXT_DEFAULTS = { topK: 5, maxTokens: 2000 } as const;
export const CONTEXT_MAX_TOP_K = 50;

function invalid(field: string, message: string): GatewayError {
  return new GatewayError('invalid_request_error', `Invalid 'context.${field}': ${message}`, {
    param: `context.${field}`,
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function intIn(raw: unknown, field: string, min: number, max: number, fallback: number): number {
  if (raw === undefined) return fallback;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > max) {
    throw invalid(field, `must be an integer from ${min} to ${max}`);
  }
  return raw;
}

export function parseContextRequest(raw: Record<string, unknown>): ContextRequest {
  const { collection, top_k, min_score, max_tokens, filter } = raw;
  if (typeof collection !== 'string' || collection.length === 0 || collection.length > 200) {
    throw invalid('collection', 'must be a collection name');
  }
  if (min_score !== undefined && (typeof min_score !== 'number' || !(min_score >= 0 && min_score <= 1))) {
    throw invalid('min_score', 'must be a number from 0 to 1');
  }
  if (filter !== undefined && !isObject(filter)) throw invalid('filter', 'must be an object');
  return {
    collection,
    topK: intIn(top_k, 'top_k', 1, CONTEXT_MAX_TOP_K, CONTEXT_DEFAULTS.topK),
    minScore: min_score,
    maxTokens: intIn(max_tokens, 'max_tokens', 1, 200_000, CONTEXT_DEFAULTS.maxTokens),
    filter,
  };
}

/** The text retrieval searches with: the last user message's text. */
export function retrievalQuery(messages: readonly ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m?.role !== 'user') continue;
    const text =
      typeof m.content === 'string'
        ? m.content
        : (m.content ?? [])
            .map((p) => (p.type === 'text' ? p.text : ''))
            .join(' ')
            .trim();
    if (text) return text;
  }
  throw new GatewayError('invalid_request_error', "'context' needs a user message to search with.", {
    param: 'messages',
  });
}

function sourceLine(n: number, c: RetrievedChunk): string {
  const where = [c.source, c.headingPath.join(' › ')].filter((s) => s).join(' — ');
  return `[${n}]${where ? ` ${where}` : ''}`;
}

export interface ContextBlock {
  message: ChatMessage;
  /** The chunks in the block, in the order they are numbered ([1] first). */
  used: RetrievedChunk[];
}

/**
 * The retrieved chunks as one system message of numbered sources, best first, as many as fit in
 * `maxTokens` (a chunk that does not fit is skipped, a smaller later one may still go in).
 * Undefined when none fit.
 */
export async function buildContextBlock(
  chunks: readonly RetrievedChunk[],
  maxTokens: number,
  countTokens: (text: string) => Promise<number>,
): Promise<ContextBlock | undefined> {
  const header =
    'Answer using the numbered sources below where they are relevant, and cite them as [n]. ' +
    'If they do not contain the answer, say so.';
  let budget = maxTokens - (await countTokens(header));
  const used: RetrievedChunk[] = [];
  const parts: string[] = [];
  for (const c of chunks) {
    const part = `${sourceLine(used.length + 1, c)}\n${c.text}`;
    const cost = (await countTokens(part)) + 2;
    if (cost > budget) continue;
    budget -= cost;
    used.push(c);
    parts.push(part);
  }
  if (used.length === 0) return undefined;
  return { message: { role: 'system', content: `${header}\n\n${parts.join('\n\n')}` }, used };
}

/** Identifies the retrieved context in cache keys: the chunk ids (a re-ingested document gets new ones). */
export function contextFingerprint(used: readonly RetrievedChunk[]): string {
  return createHash('sha256')
    .update(used.map((c) => c.chunkId).join(','))
    .digest('hex')
    .slice(0, 32);
}
