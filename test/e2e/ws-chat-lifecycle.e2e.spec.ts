import { randomBytes } from 'node:crypto';
import { connect as tcpConnect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { drain } from '../../src/graceful-shutdown.js';
import { OpenAiFake } from '../support/fakes/index.js';
import { waitFor } from '../support/fakes/wire-client.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { testConfig } from '../support/test-config.js';
import { createFreshDatabase } from '../support/test-database.js';
import { ChatWsClient, wsUrl } from '../support/ws-chat-client.js';

/**
 * `/ws/chat` over a connection's life: a slow reader bounds the gateway's memory and stops the
 * upstream, a dead peer is found by the heartbeat, and a drain finishes streams before closing
 * sockets with 1001.
 */

const ADMIN = `admin-${randomBytes(12).toString('hex')}`;
const UPSTREAM_KEY = 'sk-upstream-ws-life';
const MODEL = 'openai/gpt-4o-mini';
const CHAT = '/v1/chat/completions';
const HEARTBEAT_MS = 200;
const MAX_BUFFERED_BYTES = 64 * 1024;

/** ~34 MB of reply text in 32k deltas: far more than the loopback socket buffers can hold. */
const BIG_CHUNKS = Array.from(
  { length: 32_000 },
  (_, i) => `<${String(i).padStart(6, '0')}é${'x'.repeat(1040)}>`,
);
const BIG_TEXT = BIG_CHUNKS.join('');
const PAUSE_MS = 2000;

/** Rejects when `promise` has not settled within `ms`, so a missing close fails fast. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      promise,
      sleep(ms, undefined, { signal: timer.signal }).then(() => {
        throw new Error(`${what} did not happen within ${ms} ms`);
      }),
    ]);
  } finally {
    timer.abort();
  }
}

function ask(question: string): Record<string, unknown> {
  return { model: MODEL, messages: [{ role: 'user', content: question }] };
}

/** Waits until `value()` has not changed for 300 ms (at most `timeoutMs`). */
async function settled(value: () => number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = value();
  let stableSince = Date.now();
  while (Date.now() - stableSince < 300 && Date.now() < deadline) {
    await sleep(50);
    const now = value();
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    }
  }
}

/** A bare WebSocket handshake over TCP, so the test controls exactly what is read and written. */
async function rawUpgrade(baseUrl: string, query: string): Promise<Socket> {
  const { hostname, port } = new URL(baseUrl);
  const socket = tcpConnect(Number(port), hostname);
  const key = randomBytes(16).toString('base64');
  socket.write(
    `GET /ws/chat${query} HTTP/1.1\r\nHost: ${hostname}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const head = await new Promise<string>((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      if (!text.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.pause();
      resolve(text);
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
  expect(head).toMatch(/^HTTP\/1\.1 101 /);
  return socket;
}

/** Live JS heap plus Buffer memory after a full GC: whatever a buffering gateway would hold. */
function liveBytes(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

describe('WebSocket chat over a connection lifetime', () => {
  const fake = new OpenAiFake({ apiKey: UPSTREAM_KEY });
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  const apps: RunningApp[] = [];
  const clients: ChatWsClient[] = [];

  async function boot(env: Record<string, string> = {}): Promise<RunningApp> {
    const gw = await startApp(
      testConfig({
        DATABASE_URL: db.url,
        ADMIN_API_KEY: ADMIN,
        OPENAI_API_KEY: UPSTREAM_KEY,
        OPENAI_BASE_URL: `${fake.url}/v1`,
        ...env,
      }),
    );
    apps.push(gw);
    return gw;
  }

  async function connect(gw: RunningApp, options: { autoPong?: boolean } = {}): Promise<ChatWsClient> {
    const client = await ChatWsClient.connect(wsUrl(gw.baseUrl, `?api_key=${ADMIN}`), options);
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    await fake.start();
    db = await createFreshDatabase();
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.ws.terminate();
    await Promise.all(apps.splice(0).map((a) => a.close()));
    fake.reset();
  });

  afterAll(async () => {
    await fake.stop();
    await db?.drop();
  });

  it('a client that stops reading stops the upstream read and does not grow gateway memory', async () => {
    const gw = await boot({ WS_MAX_BUFFERED_BYTES: String(MAX_BUFFERED_BYTES) });
    fake.setReply({ chunks: BIG_CHUNKS });
    const client = await connect(gw);
    let received = 0;
    client.ws.on('message', (data: Buffer) => {
      received += data.length;
    });
    client.request('big', ask('Tell me everything.'));
    await waitFor(() => received >= 256 * 1024, 5000);
    client.ws.pause();
    // Loopback socket buffers take a few MB before everything stalls; on a busy machine that can
    // take a while, so the measurement starts once the upstream has stopped moving.
    await settled(() => fake.bytesWritten, 10_000);
    const baseline = liveBytes();
    const writtenMidPause = fake.bytesWritten;
    await sleep(PAUSE_MS);
    const writtenAtEndOfPause = fake.bytesWritten;
    const growth = liveBytes() - baseline;
    const upstreamStillOpen = fake.activeRequests;
    const framesWhilePaused = client.frames.length;

    client.ws.resume();
    const o = await client.outcome('big', 60_000);
    const total = fake.bytesWritten;

    expect(upstreamStillOpen).toBe(1);
    expect(total).toBeGreaterThan(BIG_TEXT.length);
    // The fake was blocked writing while the client slept: the gateway stopped reading it.
    expect(writtenAtEndOfPause).toBeLessThan(total * 0.5);
    expect(writtenAtEndOfPause - writtenMidPause).toBeLessThan(total * 0.02);
    expect(framesWhilePaused).toBeLessThan(BIG_CHUNKS.length / 2);
    // Whatever was not sent yet cannot be in memory; a buffering gateway would hold most of the stream.
    expect(growth).toBeLessThan(total * 0.15);
    expect(o.error).toBeUndefined();
    expect(o.text.length).toBe(BIG_TEXT.length);
    expect(o.text === BIG_TEXT).toBe(true);
    expect(o.done?.finish_reason).toBe('stop');
  });

  it('a client that floods bad frames without reading does not grow the gateway send buffer', async () => {
    const gw = await boot({ WS_MAX_BUFFERED_BYTES: String(MAX_BUFFERED_BYTES) });
    const socket = await rawUpgrade(gw.baseUrl, `?api_key=${ADMIN}`);
    // Masked text frames "x" (mask 0): each is invalid JSON and earns a ~130-byte chat.error, so
    // an unbounded gateway would queue ~40 MB of errors for a client that reads none of them.
    const count = 300_000;
    const flood = Buffer.alloc(count * 7);
    for (let i = 0; i < count; i++) flood.set([0x81, 0x81, 0, 0, 0, 0, 0x78], i * 7);
    const baseline = liveBytes();
    socket.write(flood);
    await sleep(1500);
    const growth = liveBytes() - baseline;
    expect(growth).toBeLessThan(8 * 1024 * 1024);

    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    socket.resume();
    const errorFrameBytes = Buffer.byteLength(
      JSON.stringify({
        type: 'chat.error',
        id: null,
        error: {
          type: 'invalid_request_error',
          code: 'invalid_request_error',
          message: 'The frame is not valid JSON.',
        },
      }),
    );
    // Reading resumes once the client reads: every frame gets its error (4 header bytes each).
    await waitFor(() => received >= count * (errorFrameBytes + 4), 60_000);
    socket.destroy();
  });

  it('terminates a peer that stops answering pings after about two heartbeats, and aborts its requests', async () => {
    const gw = await boot({ WS_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS) });
    fake.setDefaultBehaviour({ hangAfterHeaders: true, path: CHAT });
    const healthy = await connect(gw);
    const dead = await connect(gw, { autoPong: false });
    const opened = Date.now();
    dead.request('d1', ask('hang'));
    await waitFor(() => fake.activeRequests === 1, 2000);

    const { code } = await within(dead.closed, HEARTBEAT_MS * 10, 'termination');
    const after = Date.now() - opened;
    // No close handshake: the server drops the TCP connection.
    expect(code).toBe(1006);
    expect(after).toBeGreaterThanOrEqual(HEARTBEAT_MS);
    expect(after).toBeLessThan(HEARTBEAT_MS * 4);
    await waitFor(() => fake.activeRequests === 0, 1000);
    // A peer that answers pings stays.
    await sleep(HEARTBEAT_MS * 4);
    expect(healthy.isOpen).toBe(true);
    fake.setDefaultBehaviour(undefined);
    healthy.request('alive', ask('still there'));
    expect((await healthy.outcome('alive')).text).toBe('Echo: still there');
  });

  describe('shutdown', () => {
    it('a drain refuses new requests, lets streams finish, then closes sockets with 1001', async () => {
      const gw = await boot();
      fake.setReply({ chunks: Array.from({ length: 10 }, (_, i) => ` part${i}`) });
      fake.setDefaultBehaviour({ chunkDelayMs: 80, path: CHAT });
      const busy = await connect(gw);
      const idle = await connect(gw);
      busy.request('inflight', ask('finish me'));
      await busy.until((frames) => frames.some((f) => f.type === 'chat.delta'));

      const draining = drain(gw.app, 5000, gw.log, 'SIGTERM');
      await sleep(50);
      busy.request('late', ask('too late'));
      expect((await busy.errorFor('late')).error).toMatchObject({ code: 'service_unavailable' });
      // A socket with nothing in flight goes at once; the busy one after its stream.
      expect((await within(idle.closed, 2000, 'close of the idle socket')).code).toBe(1001);
      expect(busy.isOpen).toBe(true);

      const o = await busy.outcome('inflight');
      expect(o.text).toBe(Array.from({ length: 10 }, (_, i) => ` part${i}`).join(''));
      expect(o.done?.finish_reason).toBe('stop');
      expect(await within(busy.closed, 2000, 'close of the busy socket')).toEqual({
        code: 1001,
        reason: 'server shutting down',
      });
      await draining;
      apps.splice(apps.indexOf(gw), 1);
    });

    it('at the drain deadline a stream still running ends with chat.error, then the socket closes 1001', async () => {
      const gw = await boot();
      fake.setDefaultBehaviour({ hangAfterHeaders: true, path: CHAT });
      const client = await connect(gw);
      client.request('stuck', ask('never ends'));
      await waitFor(() => fake.activeRequests === 1, 2000);
      const started = Date.now();
      await drain(gw.app, 300, gw.log, 'SIGTERM');
      expect(Date.now() - started).toBeLessThan(3000);
      const o = await client.outcome('stuck');
      expect(o.done).toBeUndefined();
      expect(o.error?.error).toMatchObject({
        code: 'service_unavailable',
        message: expect.stringMatching(/shutting down/),
      });
      expect((await within(client.closed, 2000, 'close')).code).toBe(1001);
      await waitFor(() => fake.activeRequests === 0, 1000);
      apps.splice(apps.indexOf(gw), 1);
    });

    it('app.close() closes open sockets (1001) and aborts their requests without hanging', async () => {
      const gw = await boot();
      fake.setDefaultBehaviour({ hangAfterHeaders: true, path: CHAT });
      const busy = await connect(gw);
      const idle = await connect(gw);
      busy.request('stuck', ask('never ends'));
      await waitFor(() => fake.activeRequests === 1, 2000);
      const started = Date.now();
      apps.splice(apps.indexOf(gw), 1);
      await gw.close();
      expect(Date.now() - started).toBeLessThan(3000);
      expect((await within(busy.closed, 1000, 'close')).code).toBe(1001);
      expect((await within(idle.closed, 1000, 'close')).code).toBe(1001);
      await waitFor(() => fake.activeRequests === 0, 1000);
    });
  });
});
