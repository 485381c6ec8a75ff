import { Injectable } from '@nestjs/common';
import { GatewayError } from '../errors/gateway-error.js';

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
  private readonly drainListeners = new Set<() => void>();

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  /** Aborted when in-flight work must stop (drain timeout reached). */
  get deadline(): AbortSignal {
    return this.deadlineController.signal;
  }

  beginDrain(): void {
    if (this.drainingSince !== undefined) return;
    this.drainingSince = Date.now();
    for (const listener of this.drainListeners) listener();
  }

  /**
   * Calls `listener` once when draining begins (at once if it already has): connections that
   * outlive a request, such as WebSockets, close themselves when their work is done.
   */
  onDrain(listener: () => void): () => void {
    if (this.draining) {
      listener();
      return () => undefined;
    }
    this.drainListeners.add(listener);
    return () => this.drainListeners.delete(listener);
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
    // A coded reason, so a stream cut here ends with a 503-class terminal event, not a 500.
    const reason = new GatewayError(
      'service_unavailable',
      'The server is shutting down; the request was ended at the drain deadline.',
    );
    this.deadlineController.abort(reason);
    for (const c of this.inflight) c.abort(reason);
    this.inflight.clear();
  }
}
