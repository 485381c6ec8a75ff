import { request, type IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { OpenAiFake } from '../support/fakes/index.js';
import { waitFor } from '../support/fakes/wire-client.js';
import { chat, summarizeStream, writeGatewayConfig } from '../support/routing-harness.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { tempDir, testConfig } from '../support/test-config.js';
import { createFreshDatabase } from '../support/test-database.js';

/**
 * An alias's `timeouts.idle_ms` once a routed stream committed: an upstream that goes silent ends
 * the stream with an SSE error (never a switch to another target), while a client that stops
 * reading for longer than idle_ms is not mistaken for a silent upstream.
 */

const CHAT = '/v1/chat/completions';
const KEY_A = 'sk-idle-a';
const KEY_B = 'sk-idle-b';
/** ~34 MB in 32k deltas: far more than the loopback socket buffers hold, so a paused reader stalls the relay. */
const BIG_CHUNKS = Array.from(
  { length: 32_000 },
  (_, i) => `<${String(i).padStart(6, '0')}${'x'.repeat(1040)}>`,
);
const BIG_TEXT = BIG_CHUNKS.join('');

describe('routing: idle timeout of a committed stream', () => {
  const fakeA = new OpenAiFake({ apiKey: KEY_A });
  const fakeB = new OpenAiFake({ apiKey: KEY_B });
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let gw: RunningApp;

  beforeAll(async () => {
    await Promise.all([fakeA.start(), fakeB.start()]);
    db = await createFreshDatabase();
    const yaml = `
routing:
  cooldown: { failures: 0 }
aliases:
  idle:
    timeouts: { first_byte_ms: 3000, idle_ms: 300 }
    targets:
      - model: openai/gpt-4o-mini
        name: idle-a
      - model: openai/gpt-4o-mini
        name: idle-b
        base_url: ${fakeB.url}/v1
        api_key_env: OPENAI_B_KEY
`;
    gw = await startApp(
      testConfig({
        DATABASE_URL: db.url,
        OPENAI_API_KEY: KEY_A,
        OPENAI_BASE_URL: `${fakeA.url}/v1`,
        OPENAI_B_KEY: KEY_B,
        GATEWAY_CONFIG: writeGatewayConfig(tempDir('routing-'), yaml),
      }),
    );
  });

  afterAll(async () => {
    await gw?.close();
    await Promise.all([fakeA.stop(), fakeB.stop()]);
    await db?.drop();
  });

  beforeEach(() => {
    fakeA.reset();
    fakeB.reset();
  });

  it('ends the stream with an upstream_timeout SSE error when the upstream goes silent after content', async () => {
    fakeA.setReply({ text: 'one two', chunks: ['one', ' two'] });
    // Role chunk at once, "one" after 600 ms (within first_byte_ms), " two" 600 ms later (over idle_ms).
    fakeA.enqueueFault({ chunkDelayMs: 600, path: CHAT });
    const started = Date.now();
    const res = await chat(gw.baseUrl, 'idle', { stream: true });
    const elapsed = Date.now() - started;
    expect(res.status).toBe(200);
    const s = summarizeStream(res.text);
    expect(s.text).toBe('one');
    expect(s.done).toBe(0);
    expect(s.errors.map((e) => e.code)).toEqual(['upstream_timeout']);
    expect(elapsed).toBeGreaterThanOrEqual(850);
    // Without the idle cut the stream would finish normally, at about 2.4 s.
    expect(elapsed).toBeLessThan(2000);
    expect(fakeB.requestsTo(CHAT)).toHaveLength(0);
    await waitFor(() => fakeA.activeRequests === 0, 2000);
  });

  it('does not count a paused client against idle_ms: the stream completes after the pause', async () => {
    fakeA.setReply({ chunks: BIG_CHUNKS });
    const { res, chunks, ended } = await openStream(gw.baseUrl, 'idle');
    expect(res.statusCode).toBe(200);
    await waitFor(() => chunks.reduce((n, c) => n + c.length, 0) >= 64 * 1024, 15_000);
    res.pause();
    // Well over idle_ms without reading: time itself is what is tested.
    await sleep(1200);
    res.resume();
    await ended;
    const s = summarizeStream(Buffer.concat(chunks).toString('utf8'));
    expect(s.errors).toEqual([]);
    expect(s.done).toBe(1);
    expect(s.text.length).toBe(BIG_TEXT.length);
    expect(s.text === BIG_TEXT).toBe(true);
    expect(fakeB.requestsTo(CHAT)).toHaveLength(0);
  }, 30_000);
});

/** A streamed request whose reader the test controls. */
function openStream(
  baseUrl: string,
  model: string,
): Promise<{ res: IncomingMessage; chunks: Buffer[]; ended: Promise<void> }> {
  const payload = JSON.stringify({
    model,
    stream: true,
    messages: [{ role: 'user', content: 'Tell me everything.' }],
  });
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}/v1/chat/completions`, {
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
