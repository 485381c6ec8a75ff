import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { OpenAiFake } from '../support/fakes/index.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { testConfig } from '../support/test-config.js';
import { createFreshDatabase, queryOnce } from '../support/test-database.js';

const ADMIN = `admin-${randomBytes(12).toString('hex')}`;
const MODEL = 'openai/gpt-4o-mini';

interface Stats {
  semantic_hits: number;
  guard_rejections: number;
}

describe('semantic response cache (local embedder, pgvector index)', () => {
  const fake = new OpenAiFake();
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let gw: RunningApp;
  let otherKey: string;

  async function ask(
    question: string,
    opts: { key?: string; system?: string; cache?: Record<string, unknown> } = {},
  ): Promise<{ status: number; cache: string | null; content: string }> {
    const messages = [
      ...(opts.system ? [{ role: 'system', content: opts.system }] : []),
      { role: 'user', content: question },
    ];
    const res = await fetch(`${gw.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${opts.key ?? ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, messages, ...(opts.cache ? { cache: opts.cache } : {}) }),
    });
    const body = (await res.json()) as { choices?: Array<{ message: { content: string } }> };
    return {
      status: res.status,
      cache: res.headers.get('x-gateway-cache'),
      content: body.choices?.[0]?.message.content ?? '',
    };
  }

  async function stats(): Promise<Stats> {
    const res = await fetch(`${gw.baseUrl}/api/cache/stats`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    return (await res.json()) as Stats;
  }

  /** Stores (and indexing) happen after the response. */
  async function settle(): Promise<void> {
    await sleep(150);
  }

  beforeAll(async () => {
    await fake.start();
    db = await createFreshDatabase();
    gw = await startApp(
      testConfig({
        ADMIN_API_KEY: ADMIN,
        DATABASE_URL: db.url,
        OPENAI_API_KEY: 'sk-upstream',
        OPENAI_BASE_URL: `${fake.url}/v1`,
        CACHE_DEFAULT_MODE: 'semantic',
        EMBEDDING_MODEL: 'local/hash-384',
      }),
    );
    const res = await fetch(`${gw.baseUrl}/api/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'other-tenant' }),
    });
    otherKey = ((await res.json()) as { key: string }).key;
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await fake.stop();
    await db?.drop();
  });

  beforeEach(() => {
    fake.reset();
    fake.setReply({ text: 'Paris.', usage: { promptTokens: 12, completionTokens: 2 } });
  });

  it('answers the same question asked differently (case, punctuation, spacing, filler words)', async () => {
    expect((await ask('What is the capital of France?')).cache).toBe('miss');
    await settle();
    for (const variant of [
      'what is the capital of france',
      '  WHAT is the capital   of France ?? ',
      'Please, what is the capital of France? Thanks!',
    ]) {
      const res = await ask(variant);
      expect({ variant, cache: res.cache, content: res.content }).toEqual({
        variant,
        cache: 'semantic-hit',
        content: 'Paris.',
      });
    }
    expect(fake.requestsTo('/v1/chat/completions')).toHaveLength(1);
    expect((await stats()).semantic_hits).toBeGreaterThanOrEqual(3);
  });

  it('refuses look-alikes that differ in numbers, negation, quoted text or names, and counts them', async () => {
    const pairs: Array<[string, string]> = [
      ['What is 12 times 7?', 'What is 12 times 8?'],
      ['Is the museum open on Sunday?', 'Is the museum not open on Sunday?'],
      ['Translate "good morning" into German', 'Translate "good night" into German'],
      ['How do I sort a list in Python?', 'How do I sort a list in Java?'],
    ];
    const before = await stats();
    for (const [first, second] of pairs) {
      // A low threshold lets the embedder propose the look-alike, so the guards must catch it.
      const cache = { mode: 'semantic', threshold: 0.3 };
      await ask(first, { cache });
      await settle();
      const res = await ask(second, { cache });
      expect({ second, cache: res.cache }).toEqual({ second, cache: 'miss' });
    }
    const after = await stats();
    expect(after.guard_rejections - before.guard_rejections).toBeGreaterThanOrEqual(pairs.length);
  });

  it('never matches across tenants or system prompts', async () => {
    await ask('Which river flows through Paris?');
    await settle();
    expect((await ask('which river flows through paris', { key: otherKey })).cache).toBe('miss');
    expect((await ask('which river flows through paris', { system: 'Answer in French.' })).cache).toBe(
      'miss',
    );
    expect((await ask('which river flows through paris')).cache).toBe('semantic-hit');
  });

  it('stays exact-only when a request asks for exact mode', async () => {
    await ask('How tall is the Eiffel Tower?');
    await settle();
    expect((await ask('how tall is the eiffel tower', { cache: { mode: 'exact' } })).cache).toBe('miss');
  });

  it("forgets a tenant's questions when its cache is purged", async () => {
    await ask('Who painted the Mona Lisa?');
    await settle();
    expect((await ask('who painted the mona lisa')).cache).toBe('semantic-hit');
    const res = await fetch(`${gw.baseUrl}/api/cache?tenant=admin`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(res.status).toBe(200);
    const rows = await queryOnce<{ n: string }>(
      db.url,
      "SELECT count(*) AS n FROM semantic_cache_d384 WHERE tenant = 'admin'",
    );
    expect(Number(rows[0]?.n)).toBe(0);
    expect((await ask('who painted the mona lisa')).cache).toBe('miss');
  });
});
