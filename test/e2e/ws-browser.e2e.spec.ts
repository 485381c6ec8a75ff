import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { chromium, type BrowserContext } from 'playwright-core';
import { OpenAiFake } from '../support/fakes/index.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { tempDir, testConfig } from '../support/test-config.js';
import { createFreshDatabase } from '../support/test-database.js';
import { wsUrl } from '../support/ws-chat-client.js';

/**
 * A real browser's `new WebSocket(url)` against `/ws/chat`, the key in `?api_key=` (browsers cannot
 * set headers on a WebSocket). Debian's Chromium (`scripts/ensure-services.sh` installs it); when it
 * cannot launch, this fails rather than skips.
 */

const CHROMIUM = '/usr/bin/chromium';
const ADMIN = `admin-${randomBytes(12).toString('hex')}`;
const UPSTREAM_KEY = 'sk-upstream-ws-browser';
const CHUNKS = ['Bonjour', ' from', ' the', ' gateway', ' over', ' a', ' WebSocket', '.'];

interface PageResult {
  text: string;
  deltas: number;
  done?: { finish_reason: string; cache: string; usage: { total_tokens: number } };
  error?: unknown;
  closeCode?: number;
}

/** Runs in the page: one request over a fresh socket, collected until its terminal frame. */
function streamInPage(args: { url: string; body: unknown }): Promise<PageResult> {
  return new Promise((resolve) => {
    const result: PageResult = { text: '', deltas: 0 };
    const ws = new WebSocket(args.url);
    ws.onopen = () => ws.send(JSON.stringify({ type: 'chat.request', id: 'b1', body: args.body }));
    ws.onmessage = (event) => {
      // Text frames arrive as strings in the page.
      const frame = JSON.parse(String(event.data)) as {
        type: string;
        delta?: string;
        error?: unknown;
      } & PageResult['done'];
      if (frame.type === 'chat.delta') {
        result.text += frame.delta ?? '';
        result.deltas++;
      } else {
        if (frame.type === 'chat.done') result.done = frame;
        else result.error = frame.error;
        ws.close();
      }
    };
    ws.onclose = (event) => {
      result.closeCode = event.code;
      resolve(result);
    };
  });
}

describe('WebSocket chat from a browser (Chromium)', () => {
  const fake = new OpenAiFake({ apiKey: UPSTREAM_KEY });
  const profile = tempDir('slrg-chromium-');
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let gw: RunningApp;
  let browser: BrowserContext;

  beforeAll(async () => {
    await fake.start();
    db = await createFreshDatabase();
    gw = await startApp(
      testConfig({
        DATABASE_URL: db.url,
        ADMIN_API_KEY: ADMIN,
        OPENAI_API_KEY: UPSTREAM_KEY,
        OPENAI_BASE_URL: `${fake.url}/v1`,
      }),
    );
    // A fresh profile directory of our own (Playwright takes it as the persistent context's home).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await fake.stop();
    await db?.drop();
    rmSync(profile, { recursive: true, force: true });
  });

  it("streams an answer to the page's new WebSocket(url?api_key=…)", async () => {
    fake.setReply({ chunks: CHUNKS });
    const page = await browser.newPage();
    try {
      // A page from the gateway's own origin: Chromium's local-network checks block a loopback
      // WebSocket from an opaque origin such as about:blank.
      await page.goto(`${gw.baseUrl}/health/live`);
      const result = await page.evaluate(streamInPage, {
        url: wsUrl(gw.baseUrl, `?api_key=${encodeURIComponent(ADMIN)}`),
        body: { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello.' }] },
      });
      expect(result.error).toBeUndefined();
      expect(result.text).toBe(CHUNKS.join(''));
      expect(result.deltas).toBe(CHUNKS.length);
      expect(result.done).toMatchObject({ finish_reason: 'stop', cache: 'bypass' });
      expect(result.done?.usage.total_tokens).toBeGreaterThan(0);
      expect(result.closeCode).toBe(1005);
      expect(fake.requestsTo('/v1/chat/completions')).toHaveLength(1);
    } finally {
      await page.close();
    }
  });

  it('gets no socket with a wrong key (the upgrade is refused)', async () => {
    const page = await browser.newPage();
    const upstreamCalls = fake.requestsTo('/v1/chat/completions').length;
    try {
      await page.goto(`${gw.baseUrl}/health/live`);
      const result = await page.evaluate(streamInPage, {
        url: wsUrl(gw.baseUrl, '?api_key=wrong'),
        body: { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
      });
      expect(result).toEqual({ text: '', deltas: 0, closeCode: 1006 });
      expect(fake.requestsTo('/v1/chat/completions')).toHaveLength(upstreamCalls);
    } finally {
      await page.close();
    }
  });
});
