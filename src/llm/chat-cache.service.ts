import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { tenantOf } from '../auth/principal.js';
import { type CacheOutcome, ResponseCacheService } from '../cache/response-cache.service.js';
import { lookAlikeReason } from '../cache/semantic/look-alike.guard.js';
import { normalizeQuestion } from '../cache/semantic/query-normalizer.js';
import { type SemanticCandidate, SemanticIndex } from '../cache/semantic/semantic-index.js';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ContextCacheRefs } from './context/context-cache-refs.js';
import { EmbeddingsService } from './embeddings.service.js';
import {
  type CacheDirective,
  type CachedAnswer,
  decodeAnswer,
  encodeAnswer,
  exactCacheKey,
  lastUserQuestion,
  parseCacheDirective,
  semanticScope,
} from './chat-cache.js';
import type { ResolvedChat } from './chat.service.js';

/**
 * Longest question the semantic cache considers. Its normaliser and look-alike guards scan for quoted
 * spans, which costs time growing with the square of the length on adversarial text (unclosed quotes);
 * long prompts also rarely recur in other words. Longer questions use the exact cache only.
 */
export const SEMANTIC_MAX_QUESTION_CHARS = 2000;

/** Default similarity a semantic hit needs (the request's `cache.threshold` overrides it). */
export const DEFAULT_SEMANTIC_THRESHOLD = 0.95;

interface SemanticProbe {
  scope: string;
  tenant: string;
  target: string;
  question: string;
  embedding: number[];
}

export interface CacheLookup {
  outcome: CacheOutcome;
  /** Where a miss's answer is stored; undefined when it must not be. */
  storeKey?: string;
  answer?: CachedAnswer;
  /** Set in semantic mode: the question's embedding, indexed when the answer is stored. */
  semantic?: SemanticProbe;
  /** Documents the answer is built on (retrieved context): deleting one purges the entry. */
  documentIds?: readonly string[];
}

/**
 * The chat side of response caching: which requests are cached under which key, and what an entry
 * holds. The key is scoped by tenant and resolved target, so no answer crosses tenants or models.
 * Semantic mode adds, after an exact miss, a search for the same question asked differently: same
 * scope (tenant, target, system prompt, history, settings), similar embedding of the normalised
 * question, and no look-alike difference (numbers, negation, quoted strings, names).
 */
@Injectable()
export class ChatCacheService {
  constructor(
    private readonly cache: ResponseCacheService,
    private readonly index: SemanticIndex,
    private readonly embeddings: EmbeddingsService,
    private readonly refs: ContextCacheRefs,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(ROOT_LOGGER) private readonly log: Logger,
  ) {}

  directive(
    raw: Record<string, unknown> | undefined,
    cacheControl: string | string[] | undefined,
  ): CacheDirective {
    const header = Array.isArray(cacheControl) ? cacheControl.join(',') : cacheControl;
    return parseCacheDirective(raw, this.config.cache.defaultMode, header);
  }

  async lookup(r: ResolvedChat, d: CacheDirective): Promise<CacheLookup> {
    if (d.mode === 'off') return this.counted({ outcome: 'bypass' });
    const scope = {
      tenant: tenantOf(r.caller.principal),
      target: r.cacheTarget,
    };
    const key = exactCacheKey(scope, r.request);
    const storeKey = d.noStore ? undefined : key;
    const semanticMode = d.mode === 'semantic';
    if (d.noLookup) {
      // Embedded only to index the answer about to be stored.
      const semantic = semanticMode && storeKey ? await this.probe(scope, r) : undefined;
      return this.counted({ outcome: 'bypass', storeKey, semantic, documentIds: r.contextDocumentIds });
    }
    const bytes = await this.cache.get(key);
    const answer = bytes ? decodeAnswer(bytes) : undefined;
    if (answer) return this.counted({ outcome: 'hit', answer });
    // The question is embedded only after an exact miss: an exact hit needs no embedding call.
    const semantic = semanticMode ? await this.probe(scope, r) : undefined;
    if (semantic) {
      const near = await this.nearest(semantic, d.threshold ?? DEFAULT_SEMANTIC_THRESHOLD);
      if (near) return this.counted({ outcome: 'semantic-hit', answer: near });
    }
    return this.counted({ outcome: 'miss', storeKey, semantic, documentIds: r.contextDocumentIds });
  }

  /** Stores a complete answer (and indexes its question in semantic mode); failures only mean a later miss. */
  async store(l: CacheLookup, answer: CachedAnswer, d: CacheDirective): Promise<void> {
    if (!l.storeKey) return;
    const ttlMs = (d.ttlSeconds ?? this.config.cache.ttlSeconds) * 1000;
    await this.cache.set(l.storeKey, encodeAnswer(answer), ttlMs);
    if (l.documentIds?.length) {
      await this.refs
        .record(l.documentIds, l.storeKey, ttlMs)
        .catch((err: unknown) => this.warn('recording the documents of a cached answer failed', err));
    }
    if (!l.semantic) return;
    const s = l.semantic;
    await this.index
      .add({ ...s, cacheKey: l.storeKey, ttlMs })
      .catch((err: unknown) => this.warn('semantic index write failed', err));
  }

  /** Purges every cached answer built on one of these documents (they were deleted or replaced). */
  purgeDocuments(documentIds: readonly string[]): Promise<number> {
    return this.refs.purge(documentIds);
  }

  /** Embeds the normalised question; undefined when there is none or the embedder fails. */
  private async probe(
    scope: { tenant: string; target: string },
    r: ResolvedChat,
  ): Promise<SemanticProbe | undefined> {
    const question = lastUserQuestion(r.request);
    if (question === undefined || question.length > SEMANTIC_MAX_QUESTION_CHARS) return undefined;
    try {
      const { vectors } = await this.embeddings.embed(this.config.embeddingModel, [
        normalizeQuestion(question),
      ]);
      const embedding = vectors[0];
      if (!embedding) return undefined;
      return { scope: semanticScope(scope, r.request), ...scope, question, embedding };
    } catch (err) {
      this.warn('semantic cache embedding failed', err);
      return undefined;
    }
  }

  /** The best candidate that passes the look-alike guards and is still cached. */
  private async nearest(p: SemanticProbe, threshold: number): Promise<CachedAnswer | undefined> {
    let candidates: SemanticCandidate[];
    try {
      candidates = await this.index.search(p.scope, p.embedding, threshold);
    } catch (err) {
      this.warn('semantic index search failed', err);
      return undefined;
    }
    for (const c of candidates) {
      const reason = lookAlikeReason(p.question, c.question);
      if (reason) {
        this.cache.countGuardRejection(reason);
        continue;
      }
      const bytes = await this.cache.get(c.cacheKey);
      const answer = bytes ? decodeAnswer(bytes) : undefined;
      if (answer) return answer;
    }
    return undefined;
  }

  private warn(msg: string, err: unknown): void {
    this.log.warn({ err: err instanceof Error ? err.message : String(err) }, msg);
  }

  private counted(l: CacheLookup): CacheLookup {
    this.cache.count(l.outcome);
    return l;
  }
}
