import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { ShutdownState } from './common/lifecycle/shutdown-state.js';

/** After the drain deadline, streams get this long to write their terminal event before sockets close. */
const TERMINAL_EVENT_GRACE_MS = 500;
/** Shutdown hooks (pools, PGlite) get this long before the process exits regardless. */
const HOOKS_TIMEOUT_MS = 10_000;

/**
 * SIGTERM / SIGINT: readiness turns 503, the listener closes (new connections refused), in-flight
 * requests and streams get `timeoutMs` to finish, stragglers are ended, pools close, exit 0.
 * A second signal exits at once with code 1.
 */
export function installGracefulShutdown(app: NestFastifyApplication, timeoutMs: number, log: Logger): void {
  let draining = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (draining) {
      log.warn({ signal }, 'second signal during drain: exiting now');
      process.exit(1);
    }
    draining = true;
    drain(app, timeoutMs, log, signal).then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

export async function drain(
  app: NestFastifyApplication,
  timeoutMs: number,
  log: Logger,
  signal: string,
): Promise<void> {
  const state = app.get(ShutdownState);
  const server: Server = app.getHttpServer();
  const started = Date.now();
  state.beginDrain();
  log.info({ signal, timeoutMs }, 'draining');

  const allClosed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Keep-alive sockets go as soon as they are idle; busy ones finish their response first.
  server.closeIdleConnections();
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  const finished = await Promise.race([allClosed.then(() => true), sleep(timeoutMs).then(() => false)]);
  clearInterval(sweep);
  if (!finished) {
    log.warn('drain timeout reached: ending remaining requests');
    state.expire();
    await Promise.race([allClosed, sleep(TERMINAL_EVENT_GRACE_MS)]);
    server.closeAllConnections();
  }
  log.info({ ms: Date.now() - started }, 'connections drained; closing');
  await Promise.race([app.close(), sleep(HOOKS_TIMEOUT_MS).then(() => log.warn('shutdown hooks timed out'))]);
  log.info({ ms: Date.now() - started }, 'shutdown complete');
  log.flush();
}
