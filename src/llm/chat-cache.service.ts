import { Inject, Injectable } from '@nestjs/common';
import { tenantOf } from '../auth/principal.js';
import { type CacheOutcome, ResponseCacheService } from '../cache/response-cache.service.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import {
  type CacheDirective,
  type CachedAnswer,
  decodeAnswer,
  encodeAnswer,
  exactCacheKey,
  parseCacheDirective,
} from './chat-cache.js';
import type { ResolvedChat } from './chat.service.js';

export interface CacheLookup {
  outcome: CacheOutcome;
  /** Where a miss's answer is stored; undefined when it must not be. */
  storeKey?: string;
  answer?: CachedAnswer;
}

/**
 * The chat side of response caching: which requests are cached under which key, and what an entry
 * holds. The key is scoped by tenant and resolved target, so no answer crosses tenants or models.
 * Semantic mode looks up exactly for now (a near-duplicate is a miss).
 */
@Injectable()
export class ChatCacheService {
  constructor(
    private readonly cache: ResponseCacheService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
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
    const key = exactCacheKey(
      { tenant: tenantOf(r.caller.principal), target: `${r.target.provider.id}/${r.target.model}` },
      r.request,
    );
    const storeKey = d.noStore ? undefined : key;
    if (d.noLookup) return this.counted({ outcome: 'bypass', storeKey });
    const bytes = await this.cache.get(key);
    const answer = bytes ? decodeAnswer(bytes) : undefined;
    return this.counted(answer ? { outcome: 'hit', answer } : { outcome: 'miss', storeKey });
  }

  /** Stores a complete answer; failures only mean a later miss. */
  store(key: string, answer: CachedAnswer, d: CacheDirective): Promise<void> {
    return this.cache.set(key, encodeAnswer(answer), (d.ttlSeconds ?? this.config.cache.ttlSeconds) * 1000);
  }

  private counted(l: CacheLookup): CacheLookup {
    this.cache.count(l.outcome);
    return l;
  }
}
