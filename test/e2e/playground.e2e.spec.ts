import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { startBuiltServer, type BuiltServer } from '../support/built-server.js';
import { launchChromium, until } from '../support/chromium.js';
import { documentsApi } from '../support/documents-api.js';
import { OpenAiFake } from '../support/fakes/index.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { tempDir, testConfig } from '../support/test-config.js';
import { createFreshDatabase } from '../support/test-database.js';

/**
 * The playground at /playground driven by a real Chromium: key, model list, streamed answers over
 * /ws/chat, cache badges, cancel, inline errors, concurrent answers, the search panel. Fails (never
 * skips) when Chromium cannot launch. Leaves bench/results/playground.png.
 */

const ADMIN = `admin-${randomBytes(12).toString('hex')}`;
const UPSTREAM_KEY = 'sk-upstream-playground';
const MODEL = 'openai/gpt-4o-mini';
const CHUNKS = ['Streams', ' arrive', ' piece', ' by', ' piece', ' in', ' the', ' playground.'];
const FINAL = CHUNKS.join('');
const STATIC_DIR = resolve(__dirname, '../../src/playground/static');
const SCREENSHOT = resolve(__dirname, '../../bench/results/playground.png');
const CHAT_PATH = '/v1/chat/completions';

describe('playground page (Chromium)', () => {
  const fake = new OpenAiFake({ apiKey: UPSTREAM_KEY });
  const profile = tempDir('slrg-playground-chromium-');
  const problems: string[] = [];
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let gw: RunningApp;
  let browser: BrowserContext;
  let page: Page;

  const answers = (): Locator => page.locator('#answers > li');
  const field = (answer: Locator, name: string): Locator => answer.locator(`[data-field="${name}"]`);
  const textOf = async (locator: Locator): Promise<string> => (await locator.textContent()) ?? '';
  const chatCalls = (): number => fake.requestsTo(CHAT_PATH).length;

  /** Waits until the newest answer (or `answer`) reaches a terminal state and returns that state. */
  async function settled(answer: Locator = answers().first()): Promise<string> {
    return until('the answer to settle', async () => {
      const state = await textOf(field(answer, 'state'));
      return state !== 'streaming' && state;
    });
  }

  async function send(message: string, cache: 'off' | 'exact' | 'semantic'): Promise<void> {
    await page.getByRole('combobox', { name: 'Cache' }).selectOption(cache);
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill(message);
    await page.getByRole('button', { name: 'Send' }).click();
  }

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
    browser = await launchChromium(profile);
    browser.setDefaultTimeout(10_000);
    page = await browser.newPage();
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      // Failed HTTP answers (the search 404) are logged by Chromium itself; those are expected.
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) {
        problems.push(`console: ${msg.text()}`);
      }
    });
  });

  afterEach(() => {
    fake.setDefaultBehaviour(undefined);
    fake.setReply(undefined);
  });

  afterAll(async () => {
    await browser?.close();
    await gw?.close();
    await fake.stop();
    await db?.drop();
    rmSync(profile, { recursive: true, force: true });
  });

  it('is served without a key, with a strict CSP, and stays out of OpenAPI', async () => {
    const res = await fetch(`${gw.baseUrl}/playground`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self' ws: wss:");
    expect(csp).not.toContain('unsafe');
    expect(await res.text()).toBe(readFileSync(`${STATIC_DIR}/index.html`, 'utf8'));

    const js = await fetch(`${gw.baseUrl}/playground/playground.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const css = await fetch(`${gw.baseUrl}/playground/playground.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    for (const path of ['/playground/other.js', '/playground/..%2Fplayground.controller.ts']) {
      const missing = await fetch(`${gw.baseUrl}${path}`);
      expect({ path, status: missing.status }).toEqual({ path, status: 404 });
    }

    const doc = (await (await fetch(`${gw.baseUrl}/docs-json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/playground'))).toEqual([]);
  });

  it('says so when the key is refused, and keeps retrying', async () => {
    const other = await browser.newPage();
    try {
      await other.goto(`${gw.baseUrl}/playground`);
      await other.getByRole('textbox', { name: 'API key', exact: true }).fill('not-a-key');
      await other.getByRole('button', { name: 'Connect' }).click();
      await until('a refused connection', async () =>
        (await textOf(other.locator('#connection'))).startsWith('Could not connect'),
      );
      // It keeps trying, backing off: the second attempt fails too and doubles the wait.
      await until('a second attempt', async () =>
        (await textOf(other.locator('#connection'))).endsWith('retrying in 2 s'),
      );
      await until('a models error', async () =>
        (await textOf(other.locator('#chat-error'))).startsWith('Could not load the models'),
      );
    } finally {
      await other.close();
    }
  });

  it('streams an answer as it arrives, then answers the repeat from the cache', async () => {
    await page.goto(`${gw.baseUrl}/playground`);
    await page.getByRole('textbox', { name: 'API key', exact: true }).fill(ADMIN);
    await page.getByRole('textbox', { name: 'API key', exact: true }).press('Enter');
    await until('the socket', async () => (await textOf(page.locator('#connection'))) === 'Connected');
    await until(
      'the model list',
      async () => (await page.locator(`#model option[value="${MODEL}"]`).count()) > 0,
    );
    await page.getByRole('combobox', { name: 'Model', exact: true }).selectOption(MODEL);
    await page.getByRole('textbox', { name: 'System prompt' }).fill('Answer in one sentence.');

    fake.setReply({ chunks: CHUNKS });
    fake.setDefaultBehaviour({ chunkDelayMs: 150, path: CHAT_PATH });
    await page.getByRole('combobox', { name: 'Cache' }).selectOption('exact');
    await page.getByRole('textbox', { name: 'Message', exact: true }).fill('How do answers arrive?');
    await page.getByRole('textbox', { name: 'Message', exact: true }).press('Control+Enter');

    const first = answers().first();
    const partial = await until('part of the answer', async () => {
      const text = await textOf(first.locator('.text'));
      return text.length > 0 && text !== FINAL && text;
    });
    expect(FINAL.startsWith(partial)).toBe(true);
    expect(await textOf(field(first, 'state'))).toBe('streaming');

    expect(await settled(first)).toBe('done');
    expect(await textOf(first.locator('.text'))).toBe(FINAL);
    expect(await textOf(field(first, 'cache'))).toBe('miss');
    expect(await textOf(field(first, 'finish'))).toBe('stop');
    expect(await textOf(field(first, 'model'))).toBe(MODEL);
    const usage = /^(\d+) prompt \+ (\d+) completion = (\d+) tokens$/.exec(
      await textOf(field(first, 'usage')),
    );
    expect(Number(usage?.[3])).toBeGreaterThan(0);
    expect(chatCalls()).toBe(1);
    const sent = fake.requestsTo(CHAT_PATH)[0].body as { messages: Array<{ role: string; content: string }> };
    expect(sent.messages).toEqual([
      { role: 'system', content: 'Answer in one sentence.' },
      { role: 'user', content: 'How do answers arrive?' },
    ]);

    await send('How do answers arrive?', 'exact');
    const second = answers().first();
    expect(await settled(second)).toBe('done');
    expect(await textOf(second.locator('.text'))).toBe(FINAL);
    expect(await textOf(field(second, 'cache'))).toBe('hit');
    expect(await textOf(field(second, 'usage'))).toMatch(/ = \d+ tokens$/);
    expect(chatCalls()).toBe(1);
    expect(await answers().count()).toBe(2);
  });

  it('keeps concurrent answers apart', async () => {
    // The fake echoes each request's own message, word by word.
    fake.setDefaultBehaviour({ chunkDelayMs: 100, path: CHAT_PATH });
    await send('alpha one two three four five', 'off');
    await send('beta six seven eight nine ten', 'off');
    await until('two streams at once', () => fake.activeRequests === 2);
    for (const word of ['alpha', 'beta']) {
      const answer = answers().filter({ has: page.locator('.prompt', { hasText: word }) });
      expect(await settled(answer)).toBe('done');
      const prompt = await textOf(answer.locator('.prompt'));
      expect(await textOf(answer.locator('.text'))).toBe(`Echo: ${prompt}`);
      expect(await textOf(field(answer, 'cache'))).toBe('bypass');
    }
  });

  it('Cancel stops a slow stream', async () => {
    const words = Array.from({ length: 40 }, (_, i) => ` word${i}`);
    fake.setReply({ chunks: words });
    fake.setDefaultBehaviour({ chunkDelayMs: 200, path: CHAT_PATH });
    await send('Talk slowly.', 'off');
    const answer = answers().first();
    await until('the first words', async () => (await textOf(answer.locator('.text'))).length > 0);
    await answer.getByRole('button', { name: 'Cancel' }).click();
    await until('the upstream call to end', () => fake.activeRequests === 0, 5000);
    expect(await textOf(field(answer, 'state'))).toBe('cancelled');
    expect(await answer.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
    const shown = await textOf(answer.locator('.text'));
    await new Promise((r) => setTimeout(r, 1000));
    expect(await textOf(answer.locator('.text'))).toBe(shown);
    expect(shown.length).toBeLessThan(words.join('').length);
  });

  it('shows a failed request inline', async () => {
    fake.enqueueFault({ status: 400, path: CHAT_PATH });
    await send('This one fails upstream.', 'off');
    const answer = answers().first();
    expect(await settled(answer)).toBe('failed');
    const error = answer.getByRole('alert');
    expect(await error.isVisible()).toBe(true);
    expect(await textOf(error)).toMatch(/^\w+: .+/);
    expect(await answer.locator('.text').textContent()).toBe('');
  });

  it('searches a collection, and says when one does not exist', async () => {
    const docs = documentsApi(gw);
    const up = await docs.call<{ id: string }>('POST', '/api/collections/handbook/documents', ADMIN, {
      text: 'Rotating keys: issue a new key, deploy it, then revoke the old one.\n\nBudgets reset at midnight UTC.',
      metadata: { team: 'ops' },
      source_name: 'ops.txt',
    });
    expect(up.status).toBe(202);
    expect((await docs.settled(up.json.id, ADMIN)).status).toBe('processed');

    const status = page.locator('#search-status');
    const results = page.locator('#search-results > li');
    const collection = page.getByRole('textbox', { name: 'Collection', exact: true });
    await collection.fill('no-such-collection');
    await page.getByRole('textbox', { name: 'Query' }).fill('how do I rotate keys');
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/collections/no-such-collection/search')),
      page.getByRole('button', { name: 'Search' }).click(),
    ]);
    expect(response.status()).toBe(404);
    await until('the 404 message', async () => (await textOf(status)).startsWith('No collection'));
    expect(await textOf(status)).toMatch(/^No collection “no-such-collection” for this key \(404: .+\)$/);
    expect(await status.getAttribute('data-state')).toBe('error');
    expect(await results.count()).toBe(0);

    await collection.fill('handbook');
    await page.getByRole('textbox', { name: 'Query' }).press('Enter');
    await until('search results', async () => /^\d+ result\(s\)\.$/.test(await textOf(status)));
    const top = results.first();
    expect(await textOf(top.locator('.text'))).toContain('Rotating keys');
    expect(await textOf(top.locator('.source'))).toBe('ops.txt');
    expect(await textOf(top.locator('.hint'))).toMatch(
      new RegExp(`^score \\d\\.\\d{3} · document ${up.json.id} · chunk `),
    );
    expect(await textOf(top.locator('.metadata'))).toBe('{"team":"ops"}');
  });

  it('ran without script errors or CSP violations, and leaves a screenshot', async () => {
    expect(problems).toEqual([]);
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    const before = Date.now();
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    const file = statSync(SCREENSHOT);
    expect(file.mtimeMs).toBeGreaterThanOrEqual(before - 1000);
    expect(file.size).toBeGreaterThan(10_000);
    expect(readFileSync(SCREENSHOT).subarray(0, 8)).toEqual(
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    );
  });
});

describe('playground from the build (npm run build && npm start)', () => {
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let server: BuiltServer;

  beforeAll(async () => {
    db = await createFreshDatabase();
    server = await startBuiltServer({ DATABASE_URL: db.url }, process.cwd());
  });
  afterAll(async () => {
    server?.proc.kill('SIGTERM');
    await server?.exited;
    await db?.drop();
  });

  it('serves the files nest-cli.json copied to dist', async () => {
    for (const [path, file] of [
      ['/playground', 'index.html'],
      ['/playground/playground.js', 'playground.js'],
      ['/playground/playground.css', 'playground.css'],
    ]) {
      const res = await fetch(`${server.baseUrl}${path}`);
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
      expect(await res.text()).toBe(readFileSync(`${STATIC_DIR}/${file}`, 'utf8'));
    }
  });
});
