import { SetMetadata } from '@nestjs/common';

/** Route metadata read by RequestLimitGuard. */
export const VERDICT_IN_HANDLER = 'limits:request-verdict-in-handler';

/**
 * For routes that reserve tokens before an upstream call (chat completions). The guard counts the
 * request at once, as for any route, but does not wait for the count's answer: the handler awaits it
 * together with its token reservation, so the two Redis scripts share one round trip instead of
 * queueing behind each other. Nothing reaches the cache, the ledger or the upstream before the
 * verdict; a request refused for its body (400, 404) has still been counted, as it would have been.
 */
export const RequestLimitVerdictInHandler = (): MethodDecorator => SetMetadata(VERDICT_IN_HANDLER, true);

/** One request-limit counter a request was counted on: the throttler storage's key and the limit. */
export interface RequestCounter {
  key: string;
  limit: number;
}

/** The counts the guard started for one request, in the throttlers' order (global, then the key's). */
export class PendingRequestLimits {
  readonly counters: RequestCounter[] = [];
  private readonly verdicts: Array<Promise<void>> = [];

  add(counter: RequestCounter, verdict: Promise<void>): void {
    // Marked handled here: a request that fails before its handler awaits the verdict drops it unheard.
    verdict.catch(() => undefined);
    this.counters.push(counter);
    this.verdicts.push(verdict);
  }

  /** Resolves when every count is within its limit; otherwise throws the first refusal, in order. */
  async verdict(): Promise<void> {
    for (const v of this.verdicts) await v;
  }
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by RequestLimitGuard on routes marked `@RequestLimitVerdictInHandler()`. */
    requestLimits?: PendingRequestLimits;
  }
}
