import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import { GatewayError } from '../../common/errors/gateway-error.js';
import { retryDelayMs, sleep } from '../../common/resilience/backoff.js';
import { ROOT_LOGGER } from '../../common/logging/logger.js';
import type { RetryKind, RoutePolicy } from '../../config/routing-config.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import type { CallOptions, ChatRequest, ChatResult, ChatStreamPart } from '../core/chat.types.js';
import { AttemptTimers } from './attempt-timers.js';
import { CooldownTracker } from './cooldown-tracker.js';
import { type FailureKind, failureKind } from './failure-kind.js';
import type { RouteTarget } from './route-target.js';

/**
 * Where one call may go: the targets in the order to try them (recomputed for every pass, so
 * balancing and cooldowns apply afresh) and the policy for retries, timeouts and cooldowns.
 */
export interface RoutePlan {
  /** The alias or model as the client named it, with its fallbacks (logs, errors). */
  readonly name: string;
  /** A bounded metric label: the alias or model asked for first. */
  readonly label: string;
  readonly policy: RoutePolicy;
  order(): RouteTarget[];
}

/** Where a routed call ended up; `target` is set once a target answered (or a stream committed). */
export interface RoutedCall {
  target?: RouteTarget;
  run(request: ChatRequest, opts: CallOptions): Promise<ChatResult>;
  stream(request: ChatRequest, opts: CallOptions): AsyncIterable<ChatStreamPart>;
}

/** How long a half-open probe is reserved: its verdict comes with the first byte. */
function probeTtlMs(policy: RoutePolicy): number {
  return Math.min(policy.timeouts.totalMs, policy.timeouts.firstByteMs + 5000);
}

type Outcome = 'ok' | 'cooled' | ReturnType<typeof failureKind>['label'];

interface Committed<T> {
  target: RouteTarget;
  value: T;
}

/**
 * The gateway's only retry loop (STYLE §6). Each pass tries the plan's targets in order, skipping
 * cooled ones (a half-open one only when this call wins its probe). A failure that another target
 * may not share (429, 5xx, timeouts, refused connections, refused credentials) moves straight on to
 * the next target; a 400 or an abort ends the call. When every target failed, another pass follows
 * if the retry budget for that kind of failure allows, after exponential backoff with full jitter or
 * the upstream's `Retry-After` (up to a cap). A stream commits to a target at its first content part:
 * nothing has reached the client before that, so switching is safe; after it, failures end the stream.
 */
@Injectable()
export class LlmRouter {
  private readonly attempts: Counter<'route' | 'target' | 'outcome'>;

  constructor(
    private readonly cooldowns: CooldownTracker,
    metrics: MetricsService,
    @Inject(ROOT_LOGGER) private readonly log: Logger,
  ) {
    this.attempts = new Counter({
      name: 'gateway_route_attempts_total',
      help: 'Upstream attempts made by the router, by route (alias or model), target and outcome.',
      labelNames: ['route', 'target', 'outcome'] as const,
      registers: [metrics.registry],
    });
  }

  /** `onServed`: called once with the target that answered (a stream's, when it committed). */
  call(plan: RoutePlan, onServed: (t: RouteTarget) => void = () => undefined): RoutedCall {
    const call: RoutedCall = {
      run: async (request, opts) => {
        const done = await this.attemptAll(plan, opts.signal, (t, timers) =>
          t.provider.generate({ ...request, model: t.model }, { signal: timers.signal }),
        );
        call.target = done.target;
        onServed(done.target);
        return done.value;
      },
      stream: (request, opts) =>
        this.streamRouted(plan, request, opts.signal, (t) => {
          call.target = t;
          onServed(t);
        }),
    };
    return call;
  }

  private async *streamRouted(
    plan: RoutePlan,
    request: ChatRequest,
    client: AbortSignal,
    onCommit: (t: RouteTarget) => void,
  ): AsyncGenerator<ChatStreamPart> {
    let timers: AttemptTimers | undefined;
    const opened = await this.attemptAll(
      plan,
      client,
      async (t, attempt) => {
        const stream = t.provider.stream({ ...request, model: t.model }, { signal: attempt.signal });
        const parts = stream[Symbol.asyncIterator]();
        // Parts before the first content (the upstream's "start") are held back: until content
        // arrives nothing is sent, and a failure may still move to another target.
        const held: ChatStreamPart[] = [];
        try {
          let next = await parts.next();
          while (!next.done && next.value.type === 'start') {
            held.push(next.value);
            next = await parts.next();
          }
          timers = attempt;
          return { parts, held, next };
        } catch (err) {
          await parts.return?.().catch(() => undefined);
          throw err;
        }
      },
      true,
    );
    onCommit(opened.target);
    const { parts, held, next } = opened.value;
    const t = opened.target;
    try {
      yield* held;
      let current = next;
      while (!current.done) {
        yield current.value;
        timers?.awaitingPart();
        try {
          current = await parts.next();
        } catch (err) {
          // Too late to move the call, but a target that breaks streams midway is still unhealthy.
          if (!client.aborted) await this.failed(plan, t, err, false);
          throw err;
        }
        timers?.gotPart();
      }
    } finally {
      timers?.close(true);
      t.stats.inFlight--;
      await parts.return?.().catch(() => undefined);
    }
  }

  /**
   * Runs `attempt` against the plan's targets until one succeeds. `keepOpen`: the attempt's timers
   * and in-flight count stay with the caller after success (a stream being relayed).
   */
  private async attemptAll<T>(
    plan: RoutePlan,
    client: AbortSignal,
    attempt: (t: RouteTarget, timers: AttemptTimers) => Promise<T>,
    keepOpen = false,
  ): Promise<Committed<T>> {
    const { policy } = plan;
    const deadline = Date.now() + policy.timeouts.totalMs;
    const retriesUsed: Partial<Record<RetryKind, number>> = {};
    let lastError: unknown;
    for (let pass = 0; ; pass++) {
      let tried = 0;
      // The longest Retry-After any target asked for in this pass (and whose error carried it):
      // the next pass must not call that target sooner.
      let retryAfter: number | undefined;
      let waitedFor: unknown;
      for (const target of plan.order()) {
        const probe = await this.admit(target, policy);
        if (probe === undefined) {
          this.attempts.inc({ route: plan.label, target: target.id, outcome: 'cooled' satisfies Outcome });
          continue;
        }
        tried++;
        const timers = new AttemptTimers(client, target.provider.id, {
          firstByteMs: policy.timeouts.firstByteMs,
          idleMs: policy.timeouts.idleMs,
          deadline,
        });
        const started = performance.now();
        target.stats.inFlight++;
        try {
          const value = await attempt(target, timers);
          target.stats.observeFirstByte(performance.now() - started);
          this.attempts.inc({ route: plan.label, target: target.id, outcome: 'ok' satisfies Outcome });
          void this.cooldowns.success(target.id).catch(() => undefined);
          if (keepOpen) timers.firstPart();
          else {
            timers.close();
            target.stats.inFlight--;
          }
          return { target, value };
        } catch (err) {
          timers.close();
          target.stats.inFlight--;
          if (client.aborted) {
            // No verdict on the target: let the next call probe it.
            if (probe) await this.cooldowns.releaseProbe(target.id).catch(() => undefined);
            throw (client.reason as Error | undefined) ?? err;
          }
          const kind = await this.failed(plan, target, err, probe, pass, performance.now() - started);
          if (!kind.fallback) throw err;
          lastError = err;
          const after = err instanceof GatewayError ? err.retryAfterMs : undefined;
          if (after !== undefined && after >= (retryAfter ?? -1)) {
            retryAfter = after;
            waitedFor = err;
          }
        }
      }
      if (tried === 0) throw (lastError as Error | undefined) ?? this.allCooling(plan);
      const kind = failureKind(lastError);
      const used = kind.retry ? (retriesUsed[kind.retry] ?? 0) : Infinity;
      if (!kind.retry || used >= policy.retries[kind.retry]) throw lastError;
      retriesUsed[kind.retry] = used + 1;
      const wait = retryDelayMs(pass, policy.backoff, retryAfter);
      // Asked to wait longer than the cap: the client gets that answer, with its Retry-After.
      if (wait === undefined) throw waitedFor ?? lastError;
      if (Date.now() + wait >= deadline) throw lastError;
      await sleep(wait, client);
    }
  }

  /**
   * Logs and counts a failed attempt, and tells the cooldown tracker: a failure that says the target
   * is unwell counts against it (a failed probe cools it again at once); an answer that only says the
   * request was bad proves the target alive, which ends a probe well. A timed-out attempt also feeds
   * its elapsed time to the latency average, so a target that turned slow stops looking fast.
   */
  private async failed(
    plan: RoutePlan,
    target: RouteTarget,
    err: unknown,
    probe: boolean,
    pass?: number,
    elapsedMs?: number,
  ): Promise<FailureKind> {
    const kind = failureKind(err);
    this.attempts.inc({ route: plan.label, target: target.id, outcome: kind.label });
    this.log.warn(
      {
        route: plan.name,
        target: target.id,
        pass,
        kind: kind.label,
        code: err instanceof GatewayError ? err.code : undefined,
      },
      pass === undefined ? 'routed stream failed after it started' : 'routed attempt failed',
    );
    if (kind.label === 'timeout' && elapsedMs !== undefined) target.stats.observeFirstByte(elapsedMs);
    if (kind.cool) {
      await this.cooldowns
        .failure(target.id, plan.policy.cooldown, kind.coolNow || probe)
        .catch(() => undefined);
    } else if (probe) {
      await this.cooldowns.success(target.id).catch(() => undefined);
    }
    return kind;
  }

  /**
   * Whether a target may be tried now: `false` healthy, `true` as the half-open probe, undefined
   * while it cools (or another call holds its probe).
   */
  private async admit(target: RouteTarget, policy: RoutePolicy): Promise<boolean | undefined> {
    if (policy.cooldown.failures === 0) return false;
    switch (this.cooldowns.health(target.id)) {
      case 'healthy':
        return false;
      case 'cooling':
        return undefined;
      case 'half-open':
        // Held until the probe's first byte decides it; a crashed holder frees it after this.
        return (await this.cooldowns.claimProbe(target.id, probeTtlMs(policy)).catch(() => false))
          ? true
          : undefined;
    }
  }

  private allCooling(plan: RoutePlan): GatewayError {
    const now = Date.now();
    const untils = plan
      .order()
      .map((t) => this.cooldowns.coolingUntil(t.id))
      .filter((u): u is number => u !== undefined && u > now);
    const soonest = untils.length > 0 ? Math.min(...untils) - now : 1000;
    return new GatewayError(
      'upstream_unavailable',
      `Every target of '${plan.name}' is cooling down after repeated failures; try again shortly.`,
      { retryAfterMs: soonest },
    );
  }
}
