import { request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  AnthropicFake,
  LiteLlmFake,
  OllamaFake,
  OpenAiFake,
  type FakeFault,
  type FakeUpstream,
} from '../support/fakes/index.js';
import { parseSse, rawRequest, waitFor, type RawResponse } from '../support/fakes/wire-client.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { testConfig } from '../support/test-config.js';

/**
 * Streaming under pressure: a slow client must slow the upstream down (not grow the gateway's
 * memory), and silent upstreams must be cut off by UPSTREAM_TIMEOUT_MS / UPSTREAM_IDLE_TIMEOUT_MS.
 */

/** Short on purpose: a backpressured stream must not trip the idle timeout while it waits. */
const TIMEOUT_MS = 500;
const HANG_GUARD_MS = 8000;

/** ~34 MB of reply text in 32k deltas: far more than the loopback socket buffers can hold. */
const CHUNK_COUNT = 32_000;
const CHUNK_FILLER = 'x'.repeat(1040);
const BIG_CHUNKS = Array.from(
  { length: CHUNK_COUNT },
  (_, i) => `<${String(i).padStart(6, '0')}é${CHUNK_FILLER}>`,
);
const BIG_TEXT = BIG_CHUNKS.join('');
const PAUSE_MS = 2000;

const openai = new OpenAiFake({ apiKey: 'sk-bp' });
const anthropic = new AnthropicFake({ apiKey: 'sk-ant-bp' });
const ollama = new OllamaFake();
const litellm = new LiteLlmFake({ masterKey: 'sk-litellm-bp' });
const FAKES: FakeUpstream[] = [openai, anthropic, ollama, litellm];

const TARGETS: Array<{ id: string; model: string; fake: FakeUpstream; chatPath: string }> = [
  { id: 'openai', model: 'openai/gpt-4o-mini', fake: openai, chatPath: '/v1/chat/completions' },
  { id: 'anthropic', model: 'anthropic/claude-sonnet-4-5', fake: anthropic, chatPath: '/v1/messages' },
  { id: 'ollama', model: 'ollama/llama3.2', fake: ollama, chatPath: '/api/chat' },
  { id: 'litellm', model: 'litellm/gpt-4o-mini', fake: litellm, chatPath: '/chat/completions' },
];

let gw: RunningApp;

/** A real full GC between measurements, so heap numbers compare live data, not garbage. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
}

/** Live JS heap plus Buffer memory: whatever a buffering gateway would hold the stream in. */
function liveBytes(): number {
  collectGarbage();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function chatBody(model: string, stream: boolean): string {
  return JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'Tell me everything.' }] });
}

async function chat(model: string, stream: boolean): Promise<RawResponse & { elapsedMs: number }> {
  const started = Date.now();
  const res = await rawRequest(`${gw.baseUrl}/v1/chat/completions`, {
    body: JSON.parse(chatBody(model, stream)) as unknown,
    headers: { connection: 'close' },
    signal: AbortSignal.timeout(HANG_GUARD_MS),
  });
  return { ...res, elapsedMs: Date.now() - started };
}

/** A streamed request whose reader the test controls: it starts flowing and can be paused. */
function openStream(
  model: string,
): Promise<{ res: IncomingMessage; chunks: Buffer[]; ended: Promise<void> }> {
  const payload = chatBody(model, true);
  return new Promise((resolve, reject) => {
    const req = request(`${gw.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      const ended = new Promise<void>((done, fail) => {
        res.on('end', done);
        res.on('error', fail);
      });
      resolve({ res, chunks, ended });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

function received(chunks: Buffer[]): number {
  return chunks.reduce((n, c) => n + c.length, 0);
}

beforeAll(async () => {
  await Promise.all(FAKES.map((f) => f.start()));
  gw = await startApp(
    testConfig({
      OPENAI_API_KEY: 'sk-bp',
      OPENAI_BASE_URL: `${openai.url}/v1`,
      ANTHROPIC_API_KEY: 'sk-ant-bp',
      ANTHROPIC_BASE_URL: anthropic.url,
      OLLAMA_BASE_URL: ollama.url,
      LITELLM_BASE_URL: litellm.url,
      LITELLM_API_KEY: 'sk-litellm-bp',
      UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS),
      UPSTREAM_IDLE_TIMEOUT_MS: String(TIMEOUT_MS),
    }),
  );
});

afterAll(async () => {
  await gw?.close();
  await Promise.all(FAKES.map((f) => f.stop()));
});

beforeEach(() => FAKES.forEach((f) => f.reset()));

describe('a slow client', () => {
  it('slows the upstream down instead of growing the gateway heap, then gets every byte', async () => {
    openai.setReply({ chunks: BIG_CHUNKS });
    // The gateway's own response object, to see what it keeps attached while it waits to write.
    const served: ServerResponse[] = [];
    const observe = (req: IncomingMessage, response: ServerResponse): void => {
      if (req.url === '/v1/chat/completions') served.push(response);
    };
    const server: Server = gw.app.getHttpServer();
    server.on('request', observe);
    const { res, chunks, ended } = await openStream('openai/gpt-4o-mini');
    server.off('request', observe);
    expect(res.statusCode).toBe(200);
    // Let the stream flow a little (the fake has built all its frames by now), then stop reading.
    await waitFor(() => received(chunks) >= 64 * 1024, 5000);
    res.pause();
    const baseline = liveBytes();
    await sleep(PAUSE_MS / 2);
    const writtenMidPause = openai.bytesWritten;
    await sleep(PAUSE_MS / 2);
    const writtenAtEndOfPause = openai.bytesWritten;
    const growth = liveBytes() - baseline;
    const upstreamStillOpen = openai.activeRequests;
    const receivedWhilePaused = received(chunks);
    const listenersWhilePaused = served.map((r) => ({
      close: r.listenerCount('close'),
      error: r.listenerCount('error'),
    }));

    res.resume();
    await ended;
    const total = openai.bytesWritten;
    const body = Buffer.concat(chunks).toString('utf8');

    expect(total).toBeGreaterThan(BIG_TEXT.length);
    // The fake was still blocked writing when the client resumed: the gateway stopped reading it.
    expect(upstreamStillOpen).toBe(1);
    expect(writtenAtEndOfPause).toBeLessThan(total * 0.5);
    expect(writtenAtEndOfPause - writtenMidPause).toBeLessThan(total * 0.02);
    expect(receivedWhilePaused).toBeLessThan(body.length * 0.5);
    // Whatever was not written yet cannot be in memory; a buffering gateway holds most of the stream.
    expect(growth).toBeLessThan(total * 0.15);

    const { events, rest } = parseSse(body);
    expect(rest).toBe('');
    const data = events.map((e) => e.data);
    expect(data[data.length - 1]).toBe('[DONE]');
    expect(data.some((d) => d.startsWith('{"error"'))).toBe(false);
    let text = '';
    for (const d of data.slice(0, -1)) {
      const chunk = JSON.parse(d) as { choices: Array<{ delta: { content?: string } }> };
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(text.length).toBe(BIG_TEXT.length);
    expect(text === BIG_TEXT).toBe(true);
    // Each wait for 'drain' must clean up after itself: listeners that pile up per wait are memory
    // that grows with the length of a slow stream.
    expect(listenersWhilePaused).toHaveLength(1);
    expect(listenersWhilePaused[0]?.close).toBeLessThan(20);
    expect(listenersWhilePaused[0]?.error).toBeLessThan(20);
    await waitFor(() => openai.activeRequests === 0, 2000);
  });
});

describe.each(TARGETS)('upstream timeouts: $id', ({ id, model, fake, chatPath }) => {
  const hang: FakeFault = { delayBeforeHeadersMs: 6000, path: chatPath };

  it.each([false, true])(
    'no headers within UPSTREAM_TIMEOUT_MS → 504 upstream_timeout (stream: %s)',
    async (stream) => {
      fake.setDefaultBehaviour(hang);
      const res = await chat(model, stream);
      expect(res.error).toBeUndefined();
      expect(res.status).toBe(504);
      expect(res.headers['x-gateway-provider']).toBe(id);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(JSON.parse(res.text)).toEqual({
        error: {
          message: expect.any(String),
          type: expect.any(String),
          code: 'upstream_timeout',
          param: null,
        },
      });
      expect(res.elapsedMs).toBeLessThan(2500);
      expect(fake.requestsTo(chatPath)).toHaveLength(1);
      await waitFor(() => fake.activeRequests === 0, 2000);
    },
  );

  it('silence between stream chunks beyond UPSTREAM_IDLE_TIMEOUT_MS → SSE error event upstream_timeout', async () => {
    fake.setReply({ chunks: ['one', ' two', ' three'] });
    fake.setDefaultBehaviour({ chunkDelayMs: 5000, path: chatPath });
    const res = await chat(model, true);
    expect(res.error).toBeUndefined();
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(res.headers['x-gateway-provider']).toBe(id);
    const { events, rest } = parseSse(res.text);
    expect(rest).toBe('');
    const data = events.map((e) => e.data);
    expect(data).not.toContain('[DONE]');
    // The stream had started (the first upstream frame got through) before the silence.
    expect(data.length).toBeGreaterThanOrEqual(2);
    expect(JSON.parse(data[data.length - 1] ?? '')).toEqual({
      error: { message: expect.any(String), type: expect.any(String), code: 'upstream_timeout', param: null },
    });
    expect(res.elapsedMs).toBeLessThan(2500);
    await waitFor(() => fake.activeRequests === 0, 2000);
  });
});
