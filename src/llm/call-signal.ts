import type { FastifyReply } from 'fastify';
import type { ShutdownState } from '../common/lifecycle/shutdown-state.js';

/** Aborts when the client goes away before the response is complete, or the drain deadline hits. */
export function callSignal(reply: FastifyReply, shutdown: ShutdownState): AbortSignal {
  const controller = new AbortController();
  const untrack = shutdown.track(controller);
  reply.raw.once('close', () => {
    untrack();
    if (!reply.raw.writableFinished) controller.abort(new Error('client disconnected'));
  });
  return controller.signal;
}
