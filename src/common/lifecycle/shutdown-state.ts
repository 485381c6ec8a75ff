import { Injectable } from '@nestjs/common';

/**
 * Process-wide drain state. Readiness turns 503 once draining starts; long-lived streams listen to
 * `deadline` and end with a clean terminal event when the drain timeout runs out.
 */
@Injectable()
export class ShutdownState {
  private drainingSince?: number;
  private readonly deadlineController = new AbortController();

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

  expire(): void {
    this.deadlineController.abort(new Error('server shutting down'));
  }
}
