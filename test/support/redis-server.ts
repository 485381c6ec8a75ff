import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@redis/client';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** A throwaway redis-server on its own port, so a test can stop and restart "Redis". */
export class DisposableRedis {
  private proc?: ChildProcess;

  private constructor(readonly port: number) {}

  static async start(): Promise<DisposableRedis> {
    const r = new DisposableRedis(await freePort());
    await r.startProcess();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async startProcess(): Promise<void> {
    this.proc = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    for (let i = 0; i < 100; i++) {
      if (await this.pings()) return;
      await sleep(50);
    }
    throw new Error(`redis-server on ${this.port} did not start`);
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  }

  private async pings(): Promise<boolean> {
    const c = createClient({ url: this.url, socket: { reconnectStrategy: false, connectTimeout: 200 } });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.ping();
      await c.close();
      return true;
    } catch {
      return false;
    }
  }
}
