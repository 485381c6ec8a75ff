import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { drain } from '../../src/graceful-shutdown.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { testConfig } from '../support/test-config.js';
import { createFreshDatabase } from '../support/test-database.js';
import { startSlowPost } from '../support/slow-request.js';
import { startBuiltServer } from '../support/built-server.js';

const EMBED_BODY = JSON.stringify({
  model: 'local/hash-32',
  input: 'a request that was in flight when the drain began',
});

function connectionRefused(baseUrl: string): Promise<boolean> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

describe('graceful shutdown (in process)', () => {
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let gw: RunningApp;

  beforeAll(async () => {
    db = await createFreshDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });
  beforeEach(async () => {
    gw = await startApp(testConfig({ DATABASE_URL: db.url }));
  });

  it('turns readiness 503, refuses new connections, lets in-flight requests finish, closes the pool', async () => {
    const slow = startSlowPost(gw.baseUrl, '/v1/embeddings', EMBED_BODY);
    await sleep(100);
    const draining = drain(gw.app, 5000, gw.log, 'SIGTERM');
    await sleep(50);

    const fastify = gw.app.getHttpAdapter().getInstance();
    const ready = await fastify.inject({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toMatchObject({ details: { lifecycle: { status: 'down', state: 'draining' } } });
    const other = await fastify.inject({ method: 'GET', url: '/v1/anything' });
    expect(other.statusCode).toBe(503);
    expect(other.json()).toMatchObject({ error: { code: 'service_unavailable' } });
    expect(await connectionRefused(gw.baseUrl)).toBe(true);

    slow.finish();
    const res = await slow.response;
    expect(res.status).toBe(200);
    expect((JSON.parse(res.body) as { data: unknown[] }).data).toHaveLength(1);
    await draining;
    expect(gw.app.get(DataSource).isInitialized).toBe(false);
  });

  it('ends requests still running at the drain timeout', async () => {
    const slow = startSlowPost(gw.baseUrl, '/v1/embeddings', EMBED_BODY);
    await sleep(100);
    const started = Date.now();
    await drain(gw.app, 300, gw.log, 'SIGTERM');
    expect(Date.now() - started).toBeLessThan(3000);
    await expect(slow.response).rejects.toThrow(/socket hang up|ECONNRESET/);
  });
});

describe('graceful shutdown (built server, SIGTERM)', () => {
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  beforeAll(async () => {
    db = await createFreshDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('completes the in-flight request and exits 0 within the drain timeout', async () => {
    const server = await startBuiltServer(
      { DATABASE_URL: db.url, SHUTDOWN_TIMEOUT_MS: '5000' },
      process.cwd(),
    );
    const slow = startSlowPost(server.baseUrl, '/v1/embeddings', EMBED_BODY);
    await sleep(200);
    const signalledAt = Date.now();
    server.proc.kill('SIGTERM');
    await sleep(500);
    expect(await connectionRefused(server.baseUrl)).toBe(true);
    slow.finish();
    const res = await slow.response;
    expect(res.status).toBe(200);
    const exit = await server.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(5000);
    expect(server.stdout.some((l) => l.includes('shutdown complete'))).toBe(true);
  });

  it('exits 0 promptly when idle', async () => {
    const server = await startBuiltServer({ DATABASE_URL: db.url }, process.cwd());
    expect((await fetch(`${server.baseUrl}/health/live`)).status).toBe(200);
    const signalledAt = Date.now();
    server.proc.kill('SIGINT');
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - signalledAt).toBeLessThan(3000);
  });
});
