import { setTimeout as sleep } from 'node:timers/promises';
import { type BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { isAdmin, type Principal } from '../auth/principal.js';
import { GatewayError } from '../common/errors/gateway-error.js';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { RedisConnection } from '../redis/redis-connection.js';
import { UsageStore } from '../usage/usage.store.js';
import { LimitFailover } from './limit-failover.js';
import type { PendingRequestLimits } from './pending-request-limits.js';
import { RequestRateStorage } from './request-rate.storage.js';
import { MemoryTokenLimitStore } from './memory.token-limit.store.js';
import { RedisTokenLimitStore } from './redis.token-limit.store.js';
import type { ReserveArgs, ReserveOutcome, TokenLimitStore } from './token-limit.store.js';

const MICROS = 1_000_000;
const SETTLEMENT_FLUSH_TIMEOUT_MS = 2_000;

/** What a reservation holds until the call ends. `settle` is idempotent and never throws. */
export interface TokenReservation {
  /** For the `x-ratelimit-*-tokens` headers; undefined when the key has no token limit. */
  readonly limitTokens?: number;
  readonly remainingTokens?: number;
  settle(actualTokens: number, actualCostUsd: number): void;
}

/** For calls that reserve nothing (the admin, unlimited keys, cache hits). */
export const NO_RESERVATION: TokenReservation = { settle: () => undefined };

function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10);
}

function msUntilNextUtcDay(now: Date): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return next - now.getTime();
}

/**
 * Tokens per minute and spend per UTC day of issued keys. Before a call, the prompt tokens plus the
 * completion tokens it may produce (and their estimated cost) are reserved atomically; afterwards
 * the reservation is settled to the real usage. Minute windows are calendar minutes, so a
 * settlement always lands in the window its reservation counted against.
 */
@Injectable()
export class TokenLimiter implements BeforeApplicationShutdown {
  private readonly local = new MemoryTokenLimitStore();
  private readonly shared?: TokenLimitStore;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    redis: RedisConnection,
    private readonly usage: UsageStore,
    private readonly rates: RequestRateStorage,
    private readonly failover: LimitFailover,
    private readonly metrics: MetricsService,
    @Inject(ROOT_LOGGER) private readonly log: Logger,
  ) {
    if (redis.client) this.shared = new RedisTokenLimitStore(redis.client, `${config.redis.keyPrefix}tl:`);
  }

  /**
   * Settlements still batched go out before Redis closes (it closes in the shutdown phase after this).
   * Bounded: with Redis unreachable the call would wait for a reconnect that may never come, and the
   * hooks after this one (the usage ledger's flush) must not wait with it.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.shared) return;
    const flushed = this.shared.flush().then(
      () => true,
      (err: unknown) => {
        this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'token settlement failed');
        return true;
      },
    );
    const timer = sleep(SETTLEMENT_FLUSH_TIMEOUT_MS, false, { ref: false });
    if (!(await Promise.race([flushed, timer]))) {
      this.log.warn(
        { timeoutMs: SETTLEMENT_FLUSH_TIMEOUT_MS },
        'token settlements not flushed before shutdown',
      );
    }
  }

  /**
   * Throws 429 when the tokens or the estimated cost do not fit; the caller settles the result.
   * `counted`: the request's request-limit counts, still in flight (see RequestLimitVerdictInHandler):
   * their verdict is awaited here, alongside the reservation, and a refusal gives the tokens back.
   */
  async reserve(
    principal: Principal,
    tokens: number,
    costUsd: number,
    counted?: PendingRequestLimits,
  ): Promise<TokenReservation> {
    const { tpm = 0, dailyBudgetUsd = 0 } = principal.limits;
    if (isAdmin(principal) || (tpm === 0 && dailyBudgetUsd === 0)) {
      await counted?.verdict();
      return NO_RESERVATION;
    }
    const now = new Date();
    const args: ReserveArgs = {
      keyId: principal.keyId as string,
      tokens,
      tpm,
      minute: Math.floor(now.getTime() / 60_000),
      costMicros: Math.ceil(costUsd * MICROS),
      budgetMicros: Math.round(dailyBudgetUsd * MICROS),
      day: utcDay(now),
    };
    const requestCounters = counted && this.sharedCounters(counted);
    if (!requestCounters) {
      await counted?.verdict();
      return this.reserveNow(args, now);
    }
    // One round trip for both: the counts were sent by the guard, the reservation goes right behind
    // them on the same connection, and the script reserves nothing while a counter is over its limit.
    const [verdict, reserved] = await Promise.allSettled([
      counted.verdict(),
      this.attempt({ ...args, requestCounters }, now),
    ]);
    if (verdict.status === 'rejected') {
      if (reserved.status === 'fulfilled') reserved.value?.settle(0, 0);
      throw verdict.reason;
    }
    if (reserved.status === 'rejected') throw reserved.reason;
    // Undefined: a counter was over its limit, yet this request was counted within it.
    return reserved.value ?? this.reserveNow(args, now);
  }

  /** The Redis keys and limits of the request's counters, when both they and the tokens are in Redis. */
  private sharedCounters(counted: PendingRequestLimits): ReserveArgs['requestCounters'] {
    if (!this.shared || counted.counters.length === 0) return undefined;
    const keys: string[] = [];
    for (const c of counted.counters) {
      const key = this.rates.sharedKey(c.key);
      if (!key) return undefined;
      keys.push(key);
    }
    return { keys, limits: counted.counters.map((c) => c.limit) };
  }

  private async reserveNow(args: ReserveArgs, now: Date): Promise<TokenReservation> {
    const reservation = await this.attempt(args, now);
    if (!reservation) throw new Error('a reservation without request counters found them over');
    return reservation;
  }

  /** Undefined when `args.requestCounters` holds one over its limit (nothing was reserved). */
  private async attempt(args: ReserveArgs, now: Date): Promise<TokenReservation | undefined> {
    const { tokens, tpm } = args;
    const dailyBudgetUsd = args.budgetMicros / MICROS;
    const { outcome, store } = await this.reserveIn(args);
    if (outcome.kind === 'requests-over') return undefined;
    if (outcome.kind === 'tokens-exceeded') {
      this.metrics.rateLimitRejections.inc({ limit: 'tpm' });
      const retryAfterMs = 60_000 - (now.getTime() % 60_000);
      throw new GatewayError(
        'rate_limit_exceeded',
        tokens > tpm
          ? `Request too large: it may use ${tokens} tokens but this API key is limited to ${tpm} tokens per minute. Lower max_tokens or the prompt.`
          : `Rate limit reached for tokens: ${tpm} per minute for this API key, ${outcome.usedTokens} used, ${tokens} requested. Try again in ${Math.ceil(retryAfterMs / 1000)}s.`,
        {
          retryAfterMs,
          headers: {
            'x-ratelimit-limit-tokens': String(tpm),
            'x-ratelimit-remaining-tokens': String(Math.max(0, tpm - outcome.usedTokens)),
          },
        },
      );
    }
    if (outcome.kind === 'budget-exceeded') {
      this.metrics.rateLimitRejections.inc({ limit: 'budget' });
      throw new GatewayError(
        'rate_limit_exceeded',
        `Daily budget exhausted: this API key may spend $${dailyBudgetUsd} per UTC day and has spent $${(outcome.spentMicros / MICROS).toFixed(6)}.`,
        { retryAfterMs: msUntilNextUtcDay(now) },
      );
    }
    if (outcome.kind === 'needs-seed') throw new Error('spend not seeded');
    return this.reservation(store, args, tpm > 0 ? Math.max(0, tpm - outcome.usedTokens) : undefined);
  }

  private async reserveIn(args: ReserveArgs): Promise<{ outcome: ReserveOutcome; store: TokenLimitStore }> {
    if (this.shared) {
      try {
        return { outcome: await this.reserveSeeded(this.shared, args), store: this.shared };
      } catch (err) {
        // A budget decides the mode when there is one: it is the stricter promise.
        this.failover.storeFailed(args.budgetMicros > 0 ? 'budget' : 'tokens', err);
      }
    }
    return { outcome: await this.reserveSeeded(this.local, args), store: this.local };
  }

  private async reserveSeeded(store: TokenLimitStore, args: ReserveArgs): Promise<ReserveOutcome> {
    const first = await store.reserve(args);
    if (first.kind !== 'needs-seed') return first;
    const dayStart = new Date(`${args.day}T00:00:00.000Z`);
    const spent = await this.usage.spentSince(args.keyId, dayStart);
    await store.seedSpend(args.keyId, args.day, Math.round(spent * MICROS));
    return store.reserve(args);
  }

  private reservation(store: TokenLimitStore, args: ReserveArgs, remaining?: number): TokenReservation {
    let settled = false;
    return {
      limitTokens: args.tpm > 0 ? args.tpm : undefined,
      remainingTokens: remaining,
      settle: (actualTokens, actualCostUsd) => {
        if (settled) return;
        settled = true;
        store
          .settle({
            keyId: args.keyId,
            minute: args.minute,
            day: args.day,
            tokenDelta: args.tpm > 0 ? actualTokens - args.tokens : 0,
            costDeltaMicros: args.budgetMicros > 0 ? Math.round(actualCostUsd * MICROS) - args.costMicros : 0,
          })
          .catch((err: unknown) =>
            this.log.warn(
              { err: err instanceof Error ? err.message : String(err) },
              'token settlement failed',
            ),
          );
      },
    };
  }
}
