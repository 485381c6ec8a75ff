import type { Logger } from 'pino';
import type { CacheOutcome } from '../cache/response-cache.service.js';
import type { PendingRequestLimits } from '../limits/pending-request-limits.js';
import type { MetricsService } from '../metrics/metrics.service.js';
import { type CacheDirective, type CachedAnswer, toCachedAnswer } from './chat-cache.js';
import type { CacheLookup, ChatCacheService } from './chat-cache.service.js';
import { type ChatSink, relayParts, replayCached } from './chat-relay.js';
import type { CallerInfo, ChatService, PreparedChat, ResolvedChat, ServedBy } from './chat.service.js';
import type { ChatResult, ChatStreamPart } from './core/chat.types.js';
import type { ChatCompletionRequestDto } from './dto/chat-completion.request.dto.js';

interface FlowDeps {
  chat: ChatService;
  cache: ChatCacheService;
  metrics: MetricsService;
  log: Logger;
}

/**
 * One chat completion as every edge runs it (REST with JSON or SSE, WebSocket frames): resolve the
 * model, look the answer up in the cache, else reserve tokens and call the upstream, account the
 * call, store a complete answer. Edges only map their input and write through a `ChatSink`.
 */
export class ChatFlow {
  private readonly deps: FlowDeps;

  constructor(chat: ChatService, cache: ChatCacheService, metrics: MetricsService, log: Logger) {
    this.deps = { chat, cache, metrics, log };
  }

  /**
   * Everything that can refuse the request before the upstream (model allowed and known, prompt fits,
   * cache directive valid), then the cache lookup. `cacheControl` is the HTTP header, where there is one.
   * `counted`: the request-limit verdict the guard left to the handler. Stored state, retrieval and
   * semantic lookups (an embedding call) wait for it; a plain request's verdict is awaited with the
   * cache hit or with the token reservation in `start`.
   */
  async open(
    dto: ChatCompletionRequestDto,
    caller: CallerInfo,
    cacheControl?: string | string[],
    counted?: PendingRequestLimits,
  ): Promise<ChatCall> {
    if (counted && (dto.conversation_id || dto.template || dto.context)) await counted.verdict();
    const resolved = await this.deps.chat.resolve(dto, caller);
    const directive = this.deps.cache.directive(dto.cache, cacheControl);
    if (counted && directive.mode === 'semantic') await counted.verdict();
    const lookup = await this.deps.cache.lookup(resolved, directive);
    if (counted && lookup.answer) await counted.verdict();
    return new ChatCall(this.deps, resolved, directive, lookup);
  }
}

/** One request between the cache lookup and the end of its answer. */
export class ChatCall {
  private prepared?: PreparedChat;
  private cachedServed = false;

  constructor(
    private readonly deps: FlowDeps,
    readonly resolved: ResolvedChat,
    private readonly directive: CacheDirective,
    private readonly lookup: CacheLookup,
  ) {}

  get cacheOutcome(): CacheOutcome {
    return this.lookup.outcome;
  }

  /** Who answers: the first choice until the upstream answered (routing may move the call before that). */
  servedBy(): ServedBy {
    if (this.prepared) return this.prepared.servedBy();
    const t = this.resolved.target;
    return { provider: t.provider.id, target: `${t.provider.id}/${t.model}` };
  }

  /** On a cache hit, the answer, accounted once at no cost; undefined on a miss. */
  fromCache(): CachedAnswer | undefined {
    const answer = this.lookup.answer;
    if (!answer) return undefined;
    if (!this.cachedServed) {
      this.cachedServed = true;
      const kind = this.lookup.outcome === 'semantic-hit' ? 'semantic-hit' : 'hit';
      this.deps.chat.openCachedRecord(this.resolved).servedFromCache(answer.usage, kind);
    }
    return answer;
  }

  /** A cached answer (see `fromCache`) written to `sink` as a stream. */
  async replay(sink: ChatSink, answer: CachedAnswer): Promise<void> {
    if (await replayCached(sink, answer, this.servedBy())) await this.delivered(answer);
  }

  /**
   * The answer is complete and is the client's: the request's conversation, if it named one, records
   * the turn. Failed and cancelled calls never get here, so they store nothing. A failed write is
   * logged, not turned into an error: the client has (or is about to have) its answer.
   */
  async delivered(answer: CachedAnswer): Promise<void> {
    try {
      await this.deps.chat.complete(this.resolved, answer, this.servedBy(), this.lookup.outcome);
    } catch (err) {
      this.deps.log.warn(
        { reqId: this.resolved.caller.requestId, err: err instanceof Error ? err.message : String(err) },
        'storing the conversation turn failed',
      );
    }
  }

  /**
   * Reserves tokens and budget for the upstream call (429 when they do not fit); `counted`, the
   * request-limit verdict the guard left to the handler, is awaited with the reservation.
   */
  async start(counted?: PendingRequestLimits): Promise<PreparedChat> {
    const prepared = await this.deps.chat.start(this.resolved, counted);
    prepared.record.cache = this.lookup.outcome;
    this.prepared = prepared;
    return prepared;
  }

  /** The whole answer at once, accounted, cached when the directive allows, its turn recorded. */
  async run(signal: AbortSignal): Promise<ChatResult> {
    const { record, run } = this.started();
    let result: ChatResult;
    try {
      result = await run({ signal });
    } catch (err) {
      if (signal.aborted) record.clientClosed(0);
      else record.fail(err);
      throw err;
    }
    record.succeed(result.usage);
    const answer = toCachedAnswer(result);
    void this.deps.cache.store(this.lookup, answer, this.directive);
    // Before the response is sent: a client that asks its next question right after this answer
    // finds the turn stored.
    await this.delivered(answer);
    return result;
  }

  /**
   * Streams the answer into `sink`. The first upstream part is awaited before anything reaches the
   * client, so an upstream that fails at once rejects here (and the edge can still answer with a
   * proper error, and routing may still fall back); later failures end the stream through the sink.
   */
  async stream(sink: ChatSink, signal: AbortSignal): Promise<void> {
    const prepared = this.started();
    const { record } = prepared;
    const parts = prepared.stream({ signal })[Symbol.asyncIterator]();
    let first: IteratorResult<ChatStreamPart>;
    try {
      first = await parts.next();
    } catch (err) {
      if (signal.aborted) record.clientClosed(0);
      else record.fail(err);
      throw err;
    }
    const { metrics, log, cache } = this.deps;
    metrics.openStreams.inc();
    let answer: CachedAnswer | undefined;
    try {
      answer = await relayParts(
        sink,
        {
          first,
          parts,
          record,
          servedBy: prepared.servedBy,
          model: this.resolved.dto.model,
          requestId: this.resolved.caller.requestId,
        },
        log,
      );
    } finally {
      metrics.openStreams.dec();
    }
    if (!answer) return;
    void cache.store(this.lookup, answer, this.directive);
    await this.delivered(answer);
  }

  private started(): PreparedChat {
    if (!this.prepared) throw new Error('ChatCall.start() must come first');
    return this.prepared;
  }
}
