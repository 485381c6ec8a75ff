import { Injectable } from '@nestjs/common';

/**
 * Process-wide drain state. Readiness turns 503 once draining starts; long-lived streams listen to
 * `deadline` and end with a clean terminal event when the drain timeout runs out.
 */
@Injectable()
export class ShutdownState {
  private drainingSince?: number;
  private readonly deadlineController = new AbortController();
  /** In-flight calls to abort at the deadline (cheaper than `AbortSignal.any`, which on Node 20 leaks). */
  private readonly inflight = new Set<AbortController>();

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  /** Aborted when in-flight work must stop (drain timeout reached). */
  get deadline(): AbortSignal {
    return this.deadlineController.signal;
  }

  beginDrain(): void {
    this.drainingSince ??= Date.now();
  }

  /** Aborts `controller` if the drain deadline passes first; call the returned function when done. */
  track(controller: AbortController): () => void {
    if (this.deadline.aborted) {
      controller.abort(this.deadline.reason);
      return () => undefined;
    }
    this.inflight.add(controller);
    return () => this.inflight.delete(controller);
  }

  expire(): void {
    const reason = new Error('server shutting down');
    this.deadlineController.abort(reason);
    for (const c of this.inflight) c.abort(reason);
    this.inflight.clear();
  }
}
