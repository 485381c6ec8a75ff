import { GatewayError } from '../../common/errors/gateway-error.js';

export interface AttemptTimeouts {
  firstByteMs: number;
  idleMs: number;
  /** Absolute time (ms since epoch) by which the whole call must be done. */
  deadline: number;
}

function timeout(provider: string, what: string): GatewayError {
  return new GatewayError('upstream_timeout', `The ${provider} upstream ${what}.`, {
    provider,
    retryable: true,
  });
}

/**
 * The abort signal of one upstream attempt: follows the client's signal, and aborts with a
 * retryable `upstream_timeout` when the first byte, the next chunk or the whole call takes too long
 * (the provider rethrows the signal's reason, so the router sees a timeout, not an abort).
 */
export class AttemptTimers {
  private readonly controller = new AbortController();
  private readonly firstByte: NodeJS.Timeout;
  private readonly total: NodeJS.Timeout;
  private idle?: NodeJS.Timeout;
  private readonly onClientAbort = (): void => this.controller.abort(this.client.reason);

  constructor(
    private readonly client: AbortSignal,
    private readonly provider: string,
    private readonly t: AttemptTimeouts,
  ) {
    client.addEventListener('abort', this.onClientAbort, { once: true });
    this.firstByte = setTimeout(
      () => this.controller.abort(timeout(provider, `sent nothing within ${t.firstByteMs} ms`)),
      t.firstByteMs,
    );
    this.total = setTimeout(
      () => this.controller.abort(timeout(provider, 'did not finish within the call deadline')),
      Math.max(0, t.deadline - Date.now()),
    );
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The first part arrived: from now on only the waits for the next part are timed. */
  firstPart(): void {
    clearTimeout(this.firstByte);
  }

  /** Waiting for the upstream's next part (time spent on a slow client in between does not count). */
  awaitingPart(): void {
    if (this.idle) this.idle.refresh();
    else {
      this.idle = setTimeout(
        () => this.controller.abort(timeout(this.provider, `went silent for ${this.t.idleMs} ms mid-stream`)),
        this.t.idleMs,
      );
    }
  }

  /** A part arrived; the idle clock stops until the next wait. */
  gotPart(): void {
    clearTimeout(this.idle);
    this.idle = undefined;
  }

  /** Stops the timers and lets go of the client's signal; aborts the attempt if it is still open. */
  close(abort = false): void {
    clearTimeout(this.firstByte);
    clearTimeout(this.total);
    clearTimeout(this.idle);
    this.client.removeEventListener('abort', this.onClientAbort);
    if (abort && !this.controller.signal.aborted) this.controller.abort(new Error('attempt abandoned'));
  }
}
