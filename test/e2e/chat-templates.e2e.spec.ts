import { randomBytes } from 'node:crypto';
import { OpenAiFake } from '../support/fakes/index.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { testConfig } from '../support/test-config.js';
import { createFreshDatabase } from '../support/test-database.js';

const UPSTREAM_KEY = 'sk-upstream-chat-templates';
const ADMIN_KEY = `admin-${randomBytes(16).toString('hex')}`;
const MODEL = 'openai/gpt-4o-mini';
const SCHEMA = {
  type: 'object',
  properties: { customer: { type: 'string' } },
  required: ['customer'],
  additionalProperties: false,
};

interface Sent {
  role: string;
  content: string;
}

/** A chat request's `template` (CONTRACT §4): the stored template rendered as the system prompt. */
describe('chat completions with a template (real Postgres)', () => {
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let fake: OpenAiFake;
  let gw: RunningApp;

  async function api<T>(
    method: string,
    path: string,
    body?: unknown,
    key = ADMIN_KEY,
  ): Promise<{ status: number; json: T; cache: string | null }> {
    const res = await fetch(`${gw.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return {
      status: res.status,
      json: (text ? JSON.parse(text) : undefined) as T,
      cache: res.headers.get('x-gateway-cache'),
    };
  }

  function chat(template: Record<string, unknown>, extra: Record<string, unknown> = {}, key?: string) {
    return api<{ error?: { code: string; param: string | null } }>(
      'POST',
      '/v1/chat/completions',
      { model: MODEL, messages: [{ role: 'user', content: 'Hello' }], template, ...extra },
      key,
    );
  }

  function sentMessages(): Sent[] {
    return fake.lastRequest?.body?.messages as Sent[];
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
    const v1 = await api('POST', '/api/templates', {
      name: 'support',
      content: 'You help {{customer}}.',
      variables: SCHEMA,
    });
    expect(v1.status).toBe(201);
    const v2 = await api('PUT', '/api/templates/support', { content: 'Version two for {{customer}}.' });
    expect(v2.status).toBe(200);
  });

  afterAll(async () => {
    await gw?.close();
    await fake?.stop();
    await db?.drop();
  });

  beforeEach(() => fake.reset());

  it('renders the latest version as the system prompt, or the pinned one', async () => {
    expect((await chat({ name: 'support', variables: { customer: 'Ada' } })).status).toBe(200);
    expect(sentMessages()).toEqual([
      { role: 'system', content: 'Version two for Ada.' },
      { role: 'user', content: 'Hello' },
    ]);
    expect((await chat({ name: 'support', version: 1, variables: { customer: 'Bo' } })).status).toBe(200);
    expect(sentMessages()[0]).toEqual({ role: 'system', content: 'You help Bo.' });
  });

  it('refuses unknown templates and bad variables before any upstream call', async () => {
    const cases: Array<[Record<string, unknown>, number, string]> = [
      [{ name: 'nope', variables: {} }, 404, 'template.name'],
      [{ name: 'support', version: 9, variables: { customer: 'x' } }, 404, 'template.version'],
      [{ name: 'support', variables: {} }, 400, 'template.variables.customer'],
      [{ name: 'support', variables: { customer: 7 } }, 400, 'template.variables.customer'],
      [{ name: 'support', variables: { customer: 'x', extra: 1 } }, 400, 'template.variables.extra'],
      [{ version: 1 }, 400, 'template.name'],
      [{ name: 'support', version: 'one', variables: { customer: 'x' } }, 400, 'template.version'],
    ];
    for (const [template, status, param] of cases) {
      const r = await chat(template);
      expect({ template, status: r.status, param: r.json.error?.param }).toEqual({ template, status, param });
    }
    expect(fake.requestsTo('/v1/chat/completions')).toHaveLength(0);
  });

  it('keys the response cache by template version', async () => {
    const cache = { mode: 'exact' };
    const first = await chat({ name: 'support', version: 1, variables: { customer: 'Cy' } }, { cache });
    const again = await chat({ name: 'support', version: 1, variables: { customer: 'Cy' } }, { cache });
    const latest = await chat({ name: 'support', variables: { customer: 'Cy' } }, { cache });
    expect([first.cache, again.cache, latest.cache]).toEqual(['miss', 'hit', 'miss']);
    expect(fake.requestsTo('/v1/chat/completions')).toHaveLength(2);
  });

  it('stores the template used with the answer of a conversation turn', async () => {
    const c = await api<{ id: string }>('POST', '/api/conversations', {
      system_prompt: 'replaced by the template',
    });
    const r = await chat({ name: 'support', variables: { customer: 'Di' } }, { conversation_id: c.json.id });
    expect(r.status).toBe(200);
    expect(sentMessages()[0]).toEqual({ role: 'system', content: 'Version two for Di.' });
    const got = await api<{ messages: Array<{ role: string; template: unknown }> }>(
      'GET',
      `/api/conversations/${c.json.id}`,
    );
    expect(got.json.messages.map((m) => [m.role, m.template])).toEqual([
      ['user', null],
      ['assistant', { name: 'support', version: 2 }],
    ]);
  });

  it("uses the admin's shared template for a key without one of that name, cached apart from its own", async () => {
    const shared = await api('POST', '/api/templates?tenant=shared', {
      name: 'tone',
      content: 'Answer {{customer}} briefly.',
      variables: SCHEMA,
    });
    expect(shared.status).toBe(201);
    const issued = await api<{ key: string }>('POST', '/api/keys', {
      name: 'team',
      scopes: ['chat', 'templates'],
    });
    const key = issued.json.key;
    const cache = { mode: 'exact' };

    const first = await chat({ name: 'tone', variables: { customer: 'Ed' } }, { cache }, key);
    expect(first.status).toBe(200);
    expect(sentMessages()[0]).toEqual({ role: 'system', content: 'Answer Ed briefly.' });
    expect(first.cache).toBe('miss');
    expect((await chat({ name: 'tone', variables: { customer: 'Ed' } }, { cache }, key)).cache).toBe('hit');

    // The key's own `tone`, even with the same text, is another template: its answers are cached apart.
    const own = await api(
      'POST',
      '/api/templates',
      { name: 'tone', content: 'Answer {{customer}} briefly.', variables: SCHEMA },
      key,
    );
    expect(own.status).toBe(201);
    const mine = await chat({ name: 'tone', variables: { customer: 'Ed' } }, { cache }, key);
    expect(mine.cache).toBe('miss');
    expect(fake.requestsTo('/v1/chat/completions')).toHaveLength(2);
  });
});
