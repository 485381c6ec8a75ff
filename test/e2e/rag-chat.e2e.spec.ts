import { randomBytes } from 'node:crypto';
import { OpenAiFake } from '../support/fakes/index.js';
import { parseSse } from '../support/fakes/wire-client.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { testConfig } from '../support/test-config.js';
import { createFreshDatabase, queryOnce } from '../support/test-database.js';

const UPSTREAM_KEY = 'sk-upstream-rag';
const ADMIN_KEY = `admin-${randomBytes(16).toString('hex')}`;
const MODEL = 'openai/gpt-4o-mini';
const DOCS = {
  volcano:
    'Mount Etna is an active volcano on the east coast of Sicily. It erupts often and is closely monitored.',
  bakery:
    'Sourdough bread rises with a starter of wild yeast and lactic acid bacteria instead of baker’s yeast.',
};

interface Sent {
  role: string;
  content: string;
}

interface Source {
  index: number;
  chunk_id: string;
  document_id: string;
  text: string;
  score: number;
}

/** `context` on chat completions and `POST /api/collections/:c/query` over the real document store. */
describe('retrieval-augmented chat (real Postgres + pgvector)', () => {
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let fake: OpenAiFake;
  let gw: RunningApp;
  let otherKey: string;
  const ids: Record<string, string> = {};

  async function api<T>(
    method: string,
    path: string,
    body?: unknown,
    key = ADMIN_KEY,
  ): Promise<{ status: number; json: T; headers: Headers; text: string }> {
    const res = await fetch(`${gw.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json: T | undefined;
    try {
      json = JSON.parse(text) as T;
    } catch {
      json = undefined;
    }
    return { status: res.status, json: json as T, headers: res.headers, text };
  }

  async function processed(id: string): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const r = await api<{ status: string; error?: string }>('GET', `/api/documents/${id}`);
      if (r.json.status === 'processed') return;
      if (r.json.status === 'failed') throw new Error(`document failed: ${r.json.error}`);
      if (Date.now() > deadline) throw new Error(`document still ${r.json.status}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  function ask(question: string, context: Record<string, unknown>, extra: Record<string, unknown> = {}) {
    return api<{ sources?: Source[]; error?: { code: string; param: string | null } }>(
      'POST',
      '/v1/chat/completions',
      { model: MODEL, messages: [{ role: 'user', content: question }], context, ...extra },
    );
  }

  function contextSent(): string | undefined {
    const messages = fake.lastRequest?.body?.messages as Sent[] | undefined;
    return messages?.find((m) => m.role === 'system' && m.content.includes('[1]'))?.content;
  }

  beforeAll(async () => {
    db = await createFreshDatabase();
    fake = new OpenAiFake({ apiKey: UPSTREAM_KEY });
    await fake.start();
    gw = await startApp(
      testConfig({
        DATABASE_URL: db.url,
        ADMIN_API_KEY: ADMIN_KEY,
        OPENAI_API_KEY: UPSTREAM_KEY,
        OPENAI_BASE_URL: `${fake.url}/v1`,
      }),
    );
    for (const [name, text] of Object.entries(DOCS)) {
      const r = await api<{ id: string }>('POST', '/api/collections/kb/documents', {
        text,
        source_name: `${name}.txt`,
      });
      expect(r.status).toBe(202);
      ids[name] = r.json.id;
    }
    await Promise.all(Object.values(ids).map(processed));
    const key = await api<{ key: string }>('POST', '/api/keys', { name: 'other tenant' });
    otherKey = key.json.key;
  });

  afterAll(async () => {
    await gw?.close();
    await fake?.stop();
    await db?.drop();
  });

  beforeEach(() => fake.reset());

  it('adds the retrieved chunks as numbered sources before the question and returns them', async () => {
    const r = await ask('Where is the volcano Etna?', { collection: 'kb', top_k: 1 });
    expect(r.status).toBe(200);
    const block = contextSent();
    expect(block).toContain('[1] volcano.txt');
    expect(block).toContain('Mount Etna is an active volcano');
    expect(block).not.toContain('Sourdough');
    const messages = fake.lastRequest?.body?.messages as Sent[];
    expect(messages[messages.length - 1]).toEqual({ role: 'user', content: 'Where is the volcano Etna?' });
    expect(r.json.sources).toEqual([
      expect.objectContaining({ index: 1, document_id: ids.volcano, text: expect.stringContaining('Etna') }),
    ]);
    expect(r.headers.get('x-gateway-sources')).toBe(r.json.sources?.[0]?.chunk_id);
  });

  it('keeps the context within max_tokens, and goes on without it when nothing is relevant', async () => {
    const tight = await ask('Tell me about Etna and sourdough', {
      collection: 'kb',
      top_k: 2,
      max_tokens: 65,
    });
    expect(tight.status).toBe(200);
    expect(tight.json.sources?.length).toBe(1);
    const loose = await ask('Tell me about Etna and sourdough', { collection: 'kb', top_k: 2 });
    expect(loose.json.sources?.length).toBe(2);

    const none = await ask('Etna?', { collection: 'kb', min_score: 0.999 });
    expect(none.status).toBe(200);
    expect(none.json.sources).toBeUndefined();
    expect(contextSent()).toBeUndefined();
  });

  it('refuses a bad context or a collection the key cannot see, before any upstream call', async () => {
    const cases: Array<[Record<string, unknown>, number, string | null]> = [
      [{ collection: '' }, 400, 'context.collection'],
      [{ collection: 'kb', top_k: 0 }, 400, 'context.top_k'],
      [{ collection: 'kb', min_score: 2 }, 400, 'context.min_score'],
      [{ collection: 'kb', max_tokens: 1.5 }, 400, 'context.max_tokens'],
      [{ collection: 'nope' }, 404, null],
    ];
    for (const [context, status] of cases) {
      const r = await ask('Etna?', context);
      expect({ context, status: r.status }).toEqual({ context, status });
    }
    const foreign = await api(
      'POST',
      '/v1/chat/completions',
      {
        model: MODEL,
        messages: [{ role: 'user', content: 'Etna?' }],
        context: { collection: 'kb' },
      },
      otherKey,
    );
    expect(foreign.status).toBe(404);
    expect(fake.requestsTo('/v1/chat/completions')).toHaveLength(0);
  });

  it('answers /query with citations, as JSON and as SSE', async () => {
    fake.setReply({ text: 'Etna is in Sicily [1].' });
    const json = await api<{ answer: string; sources: Source[]; usage: { total_tokens: number } }>(
      'POST',
      '/api/collections/kb/query',
      { query: 'Where is Etna?', model: MODEL, top_k: 1 },
    );
    expect(json.status).toBe(200);
    expect(json.json.answer).toBe('Etna is in Sicily [1].');
    expect(json.json.sources.map((s) => s.document_id)).toEqual([ids.volcano]);
    expect(json.json.usage.total_tokens).toBeGreaterThan(0);

    fake.setReply({ text: 'Streamed [1].', chunks: ['Streamed', ' [1].'] });
    const sse = await api('POST', '/api/collections/kb/query', {
      query: 'Where is Etna?',
      model: MODEL,
      top_k: 1,
      stream: true,
    });
    expect(sse.status).toBe(200);
    expect(sse.headers.get('x-gateway-sources')).toBe(json.json.sources[0]?.chunk_id);
    const events = parseSse(sse.text).events.map((e) => e.data);
    expect(events[events.length - 1]).toBe('[DONE]');
    fake.setReply(undefined);
  });

  it('purges cached answers built on a document when it is deleted', async () => {
    const cache = { mode: 'exact' };
    const question = 'Is Etna an active volcano?';
    const first = await ask(question, { collection: 'kb', top_k: 1 }, { cache });
    const again = await ask(question, { collection: 'kb', top_k: 1 }, { cache });
    expect([first.headers.get('x-gateway-cache'), again.headers.get('x-gateway-cache')]).toEqual([
      'miss',
      'hit',
    ]);

    const refs = (id: string) =>
      queryOnce<{ n: string }>(
        db.url,
        'SELECT count(*)::text AS n FROM cache_document_refs WHERE document_id = $1',
        [id],
      );
    expect((await refs(ids.volcano ?? ''))[0]?.n).toBe('1');
    const entries = async () => (await api<{ entries: number }>('GET', '/api/cache/stats')).json.entries;
    const before = await entries();

    expect((await api('DELETE', `/api/documents/${ids.volcano}`)).status).toBe(204);
    // The entry itself is gone, not merely unreachable through a new fingerprint.
    expect(await entries()).toBe((before ?? 0) - 1);
    expect((await refs(ids.volcano ?? ''))[0]?.n).toBe('0');
    const after = await ask(question, { collection: 'kb', top_k: 1 }, { cache });
    expect(after.status).toBe(200);
    expect(after.headers.get('x-gateway-cache')).toBe('miss');
    expect(after.json.sources?.every((s) => s.document_id !== ids.volcano) ?? true).toBe(true);
  });
});
