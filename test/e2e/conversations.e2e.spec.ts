import { randomBytes } from 'node:crypto';
import { OpenAiFake } from '../support/fakes/index.js';
import { parseSse, waitFor } from '../support/fakes/wire-client.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { testConfig } from '../support/test-config.js';
import { createFreshDatabase, queryOnce } from '../support/test-database.js';

const UPSTREAM_KEY = 'sk-upstream-conversations';
const ADMIN_KEY = `admin-${randomBytes(16).toString('hex')}`;
const MODEL = 'openai/gpt-4o-mini';

/** Polls an async condition (a database read) until it holds. */
async function until(condition: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface StoredMessage {
  seq: number;
  role: string;
  content: unknown;
  model: string | null;
  target: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cache: string | null;
  finish_reason: string | null;
}

interface ConversationView {
  id: string;
  title: string | null;
  system_prompt: string | null;
  message_count: number;
  messages?: StoredMessage[];
}

describe('conversations (real Postgres)', () => {
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let fake: OpenAiFake;
  let gw: RunningApp;
  let keyA: string;
  let keyB: string;

  async function api<T>(
    method: string,
    path: string,
    key: string,
    body?: unknown,
  ): Promise<{ status: number; json: T }> {
    const res = await fetch(`${gw.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: (text ? JSON.parse(text) : undefined) as T };
  }

  async function issueKey(name: string): Promise<string> {
    const r = await api<{ key: string }>('POST', '/api/keys', ADMIN_KEY, { name });
    expect(r.status).toBe(201);
    return r.json.key;
  }

  async function messageRows(conversationId: string): Promise<number> {
    const rows = await queryOnce<{ n: string }>(
      db.url,
      'SELECT count(*)::text AS n FROM conversation_messages WHERE conversation_id = $1',
      [conversationId],
    );
    return Number(rows[0]?.n);
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
    [keyA, keyB] = await Promise.all([issueKey('tenant-a'), issueKey('tenant-b')]);
  });

  afterAll(async () => {
    await gw?.close();
    await fake?.stop();
    await db?.drop();
  });

  beforeEach(() => {
    fake.reset();
    fake.setReply(undefined);
  });

  it('creates, reads, lists with a cursor and deletes', async () => {
    const created = await api<ConversationView>('POST', '/api/conversations', keyA, {
      title: 'Trip',
      system_prompt: 'You are terse.',
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello' },
      ],
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ title: 'Trip', system_prompt: 'You are terse.', message_count: 2 });
    const got = await api<ConversationView>('GET', `/api/conversations/${created.json.id}`, keyA);
    expect(got.json.messages?.map((m) => [m.seq, m.role, m.content])).toEqual([
      [1, 'user', 'Hi'],
      [2, 'assistant', 'Hello'],
    ]);

    for (let i = 0; i < 4; i++) await api('POST', '/api/conversations', keyA, { title: `page ${i}` });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const qs: string = cursor ? `&cursor=${cursor}` : '';
      const page = await api<{ data: ConversationView[]; next_cursor: string | null }>(
        'GET',
        `/api/conversations?limit=2${qs}`,
        keyA,
      );
      expect(page.status).toBe(200);
      expect(page.json.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.json.data.map((c) => c.id));
      cursor = page.json.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);

    expect((await api('DELETE', `/api/conversations/${created.json.id}`, keyA)).status).toBe(204);
    expect((await api('GET', `/api/conversations/${created.json.id}`, keyA)).status).toBe(404);
    expect(await messageRows(created.json.id)).toBe(0);
  });

  it('refuses bad input with a 4xx and writes nothing', async () => {
    const before = await queryOnce<{ n: string }>(db.url, 'SELECT count(*)::text AS n FROM conversations');
    const bad = [
      { messages: [{ role: 'wizard', content: 'x' }] },
      { title: 'x'.repeat(501) },
      { messages: [{ role: 'user', content: 'x'.repeat(1_000_001) }] },
      { metadata: 'not an object' },
    ];
    for (const body of bad) {
      const r = await api<{ error: { type: string } }>('POST', '/api/conversations', keyA, body);
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(r.json.error.type).toBeDefined();
    }
    expect((await api('GET', '/api/conversations/not-a-uuid', keyA)).status).toBe(404);
    expect((await api('GET', '/api/conversations?limit=0', keyA)).status).toBe(400);
    expect((await api('GET', '/api/conversations?cursor=garbage', keyA)).status).toBe(400);
    const after = await queryOnce<{ n: string }>(db.url, 'SELECT count(*)::text AS n FROM conversations');
    expect(after[0]?.n).toBe(before[0]?.n);
  });

  it("hides one tenant's conversation from another (404), not from the admin", async () => {
    const c = await api<ConversationView>('POST', '/api/conversations', keyA, { title: 'private' });
    expect((await api('GET', `/api/conversations/${c.json.id}`, keyB)).status).toBe(404);
    expect((await api('DELETE', `/api/conversations/${c.json.id}`, keyB)).status).toBe(404);
    const list = await api<{ data: ConversationView[] }>('GET', '/api/conversations?limit=100', keyB);
    expect(list.json.data.map((x) => x.id)).not.toContain(c.json.id);
    const chat = await api('POST', '/v1/chat/completions', keyB, {
      model: MODEL,
      conversation_id: c.json.id,
      messages: [{ role: 'user', content: 'let me in' }],
    });
    expect(chat.status).toBe(404);
    expect(fake.requestsTo('/v1/chat/completions')).toHaveLength(0);
    expect((await api('GET', `/api/conversations/${c.json.id}`, ADMIN_KEY)).status).toBe(200);
  });

  it('sends the system prompt and history first, then stores both turns with the answer details', async () => {
    const c = await api<ConversationView>('POST', '/api/conversations', keyA, {
      system_prompt: 'Be brief.',
      messages: [
        { role: 'user', content: 'My name is Ada.' },
        { role: 'assistant', content: 'Noted, Ada.' },
      ],
    });
    fake.setReply({ text: 'Your name is Ada.', usage: { promptTokens: 30, completionTokens: 6 } });
    const r = await api<{ choices: Array<{ message: { content: string } }> }>(
      'POST',
      '/v1/chat/completions',
      keyA,
      {
        model: MODEL,
        conversation_id: c.json.id,
        messages: [{ role: 'user', content: 'What is my name?' }],
      },
    );
    expect(r.status).toBe(200);
    const sent = fake.lastRequest?.body?.messages as Array<{ role: string; content: string }>;
    expect(sent.map((m) => [m.role, m.content])).toEqual([
      ['system', 'Be brief.'],
      ['user', 'My name is Ada.'],
      ['assistant', 'Noted, Ada.'],
      ['user', 'What is my name?'],
    ]);
    const got = await api<ConversationView>('GET', `/api/conversations/${c.json.id}`, keyA);
    expect(got.json.message_count).toBe(4);
    expect(got.json.messages?.slice(2)).toEqual([
      expect.objectContaining({ seq: 3, role: 'user', content: 'What is my name?' }),
      expect.objectContaining({
        seq: 4,
        role: 'assistant',
        content: 'Your name is Ada.',
        model: MODEL,
        target: MODEL,
        prompt_tokens: 30,
        completion_tokens: 6,
        cache: 'bypass',
        finish_reason: 'stop',
      }),
    ]);
  });

  it('stores a streamed answer when the stream finishes, and nothing for a cancelled one', async () => {
    const c = await api<ConversationView>('POST', '/api/conversations', keyA, {});
    fake.setReply({ text: 'streamed answer', chunks: ['streamed', ' answer'] });
    const res = await fetch(`${gw.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keyA}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: MODEL,
        stream: true,
        conversation_id: c.json.id,
        messages: [{ role: 'user', content: 'stream please' }],
      }),
    });
    expect(parseSse(await res.text()).events.some((e) => e.data === '[DONE]')).toBe(true);
    await until(async () => (await messageRows(c.json.id)) === 2);
    const got = await api<ConversationView>('GET', `/api/conversations/${c.json.id}`, keyA);
    expect(got.json.messages?.map((m) => [m.role, m.content])).toEqual([
      ['user', 'stream please'],
      ['assistant', 'streamed answer'],
    ]);

    fake.enqueueFault({ chunkDelayMs: 200, path: '/v1/chat/completions' });
    fake.setReply({
      text: 'a slow answer that gets cancelled',
      chunks: ['a', ' slow', ' answer', ' that', ' gets', ' cancelled'],
    });
    const controller = new AbortController();
    const slow = await fetch(`${gw.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keyA}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: MODEL,
        stream: true,
        conversation_id: c.json.id,
        messages: [{ role: 'user', content: 'never mind' }],
      }),
      signal: controller.signal,
    });
    const reader = slow.body?.getReader();
    await reader?.read();
    controller.abort();
    await waitFor(() => fake.activeRequests === 0);
    await new Promise((r) => setTimeout(r, 200));
    expect(await messageRows(c.json.id)).toBe(2);
  });

  it('keeps all 40 turns of 20 concurrent requests, each answer right after its question', async () => {
    const c = await api<ConversationView>('POST', '/api/conversations', keyA, {});
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api('POST', '/v1/chat/completions', keyA, {
          model: MODEL,
          conversation_id: c.json.id,
          messages: [{ role: 'user', content: `question ${i}` }],
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 200));
    const got = await api<ConversationView>('GET', `/api/conversations/${c.json.id}`, keyA);
    const messages = got.json.messages ?? [];
    expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const questions = new Set<string>();
    for (let i = 0; i < 40; i += 2) {
      const q = messages[i];
      const a = messages[i + 1];
      expect(q?.role).toBe('user');
      expect(a?.role).toBe('assistant');
      // The fake echoes the last user message, so each answer names its own question.
      expect(String(a?.content)).toContain(String(q?.content));
      questions.add(String(q?.content));
    }
    expect(questions.size).toBe(20);
  });
});
