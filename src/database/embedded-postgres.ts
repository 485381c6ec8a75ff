import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Shipped beside this file (nest-cli.json copies it to dist). */
const CHILD_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'embedded-postgres.process.mjs');
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

type ChildMessage = { type: 'ready'; conn: string } | { type: 'error'; message: string };

/**
 * PostgreSQL embedded (PGlite + pgvector), persisted under `<dataDir>/pg` and served on a loopback
 * port so TypeORM's ordinary `pg` driver and pool connect to it like to any server. It runs in a
 * child process: PGlite executes its WASM engine synchronously, which on the gateway's own thread
 * stalled every request for the length of each query (tens of ms for a batch insert).
 */
export class EmbeddedPostgres {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  /** `maxConnections` must cover the pool: the socket server refuses connections beyond it. */
  static async start(dataDir: string, maxConnections: number): Promise<EmbeddedPostgres> {
    const child = fork(CHILD_SCRIPT, [join(dataDir, 'pg'), String(maxConnections)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: [],
    });
    const exited = once(child, 'exit');
    const message = once(child, 'message') as Promise<[ChildMessage]>;
    const timeout = new Promise<never>((_, reject) => {
      setTimeout(
        () => reject(new Error('the embedded database did not start in time')),
        START_TIMEOUT_MS,
      ).unref();
    });
    let first: ChildMessage;
    try {
      first = await Promise.race([
        message.then(([m]) => m),
        exited.then(([code]) => {
          throw new Error(`the embedded database exited during start-up (code ${String(code)})`);
        }),
        timeout,
      ]);
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
    if (first.type === 'error') throw new Error(`the embedded database failed to start: ${first.message}`);
    return new EmbeddedPostgres(child, `postgres://postgres@${first.conn}/postgres`);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Closes the database cleanly (a checkpoint to disk), or kills it after a timeout. */
  async stop(): Promise<void> {
    if (!this.running) return;
    const exited = once(this.child, 'exit');
    this.child.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    try {
      await exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
