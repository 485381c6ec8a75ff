import { randomBytes } from 'node:crypto';
import { TEST_REDIS_URL } from '../support/env.js';
import {
  closeTestRedis,
  connectTestRedis,
  uniqueKeyPrefix,
  unlinkPrefix,
} from '../support/redis-test-client.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { testConfig } from '../support/test-config.js';
import { createFreshDatabase, queryOnce } from '../support/test-database.js';

const ADMIN_KEY = `admin-${randomBytes(16).toString('hex')}`;

interface ErrorBody {
  error: { message: string; type: string; code: string; param: string | null };
}

interface TemplateView {
  id: string;
  tenant: string;
  name: string;
  version: number;
  content: string;
  variables: Record<string, unknown>;
  description: string | null;
  created_at: string;
}

interface TemplateDetail extends TemplateView {
  latest_version: number;
  versions: Array<{ version: number; created_at: string }>;
}

interface TemplateList {
  data: TemplateView[];
  next_cursor: string | null;
  has_more: boolean;
}

interface Rendered {
  name: string;
  version: number;
  shared: boolean;
  text: string;
}

const GREETING_SCHEMA = {
  type: 'object',
  properties: {
    customer_name: { type: 'string' },
    items: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string' }, qty: { type: 'integer' } } },
    },
  },
  required: ['customer_name'],
};
const GREETING =
  'Hello {{customer_name}}!\n{{#items}}\n- {{qty}} x {{name}}\n{{/items}}\n{{^items}}Nothing yet.\n{{/items}}';

describe('prompt templates (real Postgres + Redis)', () => {
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let gw: RunningApp;
  const prefix = uniqueKeyPrefix('templates');

  beforeAll(async () => {
    db = await createFreshDatabase();
    gw = await startApp(
      testConfig({
        DATABASE_URL: db.url,
        ADMIN_API_KEY: ADMIN_KEY,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
      }),
    );
  });

  afterAll(async () => {
    await gw?.close();
    await db?.drop();
    const redis = await connectTestRedis();
    await unlinkPrefix(redis, prefix);
    await closeTestRedis(redis);
  });

  function call(
    path: string,
    options: { method?: string; key?: string; body?: unknown } = {},
  ): Promise<Response> {
    return fetch(`${gw.baseUrl}${path}`, {
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      headers: {
        authorization: `Bearer ${options.key ?? ADMIN_KEY}`,
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
  }

  async function json<T>(res: Response, status: number): Promise<T> {
    const text = await res.text();
    expect({ status: res.status, body: text }).toEqual({ status, body: expect.any(String) });
    return JSON.parse(text) as T;
  }

  async function expectError(res: Response, status: number, code: string): Promise<ErrorBody['error']> {
    expect(res.status).toBe(status);
    const body = (await res.json()) as ErrorBody;
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error).toEqual({
      message: expect.any(String),
      type: expect.any(String),
      code,
      param: body.error.param,
    });
    return body.error;
  }

  async function create(body: Record<string, unknown>, key?: string): Promise<TemplateView> {
    return json<TemplateView>(await call('/api/templates', { key, body }), 201);
  }

  async function render(name: string, body: Record<string, unknown>, key?: string): Promise<Rendered> {
    return json<Rendered>(await call(`/api/templates/${name}/render`, { key, body }), 200);
  }

  async function put(name: string, body: Record<string, unknown>, key?: string): Promise<Response> {
    return call(`/api/templates/${name}`, { method: 'PUT', key, body });
  }

  async function rowCount(): Promise<number> {
    const [row] = await queryOnce<{ n: string }>(db.url, 'SELECT count(*) AS n FROM prompt_templates');
    return Number(row.n);
  }

  async function issueKey(name: string, scopes?: string[]): Promise<{ id: string; key: string }> {
    return json<{ id: string; key: string }>(await call('/api/keys', { body: { name, scopes } }), 201);
  }

  it('creates, reads and renders a template', async () => {
    const created = await create({
      name: 'greeting',
      content: GREETING,
      variables: GREETING_SCHEMA,
      description: 'hi',
    });
    expect(created).toMatchObject({
      tenant: 'admin',
      name: 'greeting',
      version: 1,
      content: GREETING,
      description: 'hi',
    });
    expect(created.variables).toEqual(GREETING_SCHEMA);

    const detail = await json<TemplateDetail>(await call('/api/templates/greeting'), 200);
    expect(detail).toMatchObject({ name: 'greeting', version: 1, latest_version: 1, content: GREETING });
    expect(detail.versions.map((v) => v.version)).toEqual([1]);

    const vars = {
      customer_name: 'Ada',
      items: [
        { name: 'tea', qty: 2 },
        { name: 'cake', qty: 1 },
      ],
    };
    await expect(render('greeting', { variables: vars })).resolves.toEqual({
      name: 'greeting',
      version: 1,
      shared: false,
      text: 'Hello Ada!\n- 2 x tea\n- 1 x cake\n',
    });
    await expect(render('greeting', { variables: { customer_name: 'Bo' } })).resolves.toMatchObject({
      text: 'Hello Bo!\nNothing yet.\n',
    });
  });

  it('adds versions with PUT; earlier versions stay renderable and immutable', async () => {
    await create({
      name: 'versioned',
      content: 'v1 {{a}}',
      variables: { type: 'object', properties: { a: { type: 'string' } } },
      description: 'first',
    });
    const v2 = await json<TemplateView>(await put('versioned', { content: 'v2 {{a}}!' }), 200);
    expect(v2).toMatchObject({ version: 2, content: 'v2 {{a}}!', description: 'first' });
    expect(v2.variables).toEqual({ type: 'object', properties: { a: { type: 'string' } } });
    const v3 = await json<TemplateView>(
      await put('versioned', {
        content: 'v3 {{b}}',
        variables: { type: 'object', properties: { b: { type: 'number' } } },
        description: null,
      }),
      200,
    );
    expect(v3).toMatchObject({ version: 3, description: null });

    await expect(render('versioned', { variables: { b: 3 } })).resolves.toEqual({
      name: 'versioned',
      version: 3,
      shared: false,
      text: 'v3 3',
    });
    await expect(render('versioned', { version: 1, variables: { a: 'x' } })).resolves.toMatchObject({
      version: 1,
      text: 'v1 x',
    });
    await expect(render('versioned', { version: 2, variables: { a: 'x' } })).resolves.toMatchObject({
      text: 'v2 x!',
    });
    // Each version checks variables against its own schema.
    const wrong = await expectError(
      await call('/api/templates/versioned/render', { body: { version: 1, variables: { b: 3 } } }),
      400,
      'invalid_request_error',
    );
    expect(wrong.param).toBe('variables.b');

    const v1 = await json<TemplateDetail>(await call('/api/templates/versioned?version=1'), 200);
    expect(v1).toMatchObject({ version: 1, content: 'v1 {{a}}', description: 'first', latest_version: 3 });
    expect(v1.versions.map((v) => v.version)).toEqual([3, 2, 1]);

    // The database refuses to change a stored version.
    await expect(
      queryOnce(
        db.url,
        "UPDATE prompt_templates SET content = 'changed' WHERE name = 'versioned' AND version = 1",
      ),
    ).rejects.toThrow(/immutable/);
    const [row] = await queryOnce<{ content: string }>(
      db.url,
      "SELECT content FROM prompt_templates WHERE name = 'versioned' AND version = 1",
    );
    expect(row.content).toBe('v1 {{a}}');
  });

  it('numbers ten concurrent PUTs 2..11 with none lost', async () => {
    await create({ name: 'busy', content: 'v1', variables: { type: 'object' } });
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => put('busy', { content: `written by ${i}` })),
    );
    const bodies = await Promise.all(responses.map((r) => json<TemplateView>(r, 200)));
    expect(bodies.map((b) => b.version).sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const rows = await queryOnce<{ version: number; content: string }>(
      db.url,
      "SELECT version, content FROM prompt_templates WHERE name = 'busy' ORDER BY version",
    );
    expect(rows.map((r) => r.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(new Set(rows.slice(1).map((r) => r.content)).size).toBe(10);
    const latest = await render('busy', { variables: {} });
    expect(latest.version).toBe(11);

    // Two POSTs of one new name at once: one creates it, the other is told it exists.
    const racing = await Promise.all(
      [1, 2].map((i) =>
        call('/api/templates', { body: { name: 'race', content: `${i}`, variables: { type: 'object' } } }),
      ),
    );
    expect(racing.map((r) => r.status).sort()).toEqual([201, 400]);
    const loser = racing.find((r) => r.status === 400);
    if (loser) expect((await expectError(loser, 400, 'invalid_request_error')).param).toBe('name');
    const [race] = await queryOnce<{ n: string }>(
      db.url,
      "SELECT count(*) AS n FROM prompt_templates WHERE name = 'race'",
    );
    expect(Number(race.n)).toBe(1);
  });

  it('lists the latest version of each template, a page at a time', async () => {
    const owner = await issueKey('lister', ['templates']);
    const names = ['p-a', 'p-b', 'p-c', 'p-d', 'p-e', 'p-f', 'p-g'];
    for (const name of names) await create({ name, content: name, variables: { type: 'object' } }, owner.key);
    expect((await put('p-c', { content: 'p-c v2' }, owner.key)).status).toBe(200);

    const seen: TemplateView[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? '' : `&cursor=${cursor}`;
      const page: TemplateList = await json<TemplateList>(
        await call(`/api/templates?limit=3${query}`, { key: owner.key }),
        200,
      );
      seen.push(...page.data);
      cursor = page.next_cursor;
      expect(page.has_more).toBe(cursor !== null);
      pages++;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(3);
    expect(seen.map((t) => t.name)).toEqual(names);
    expect(seen.find((t) => t.name === 'p-c')).toMatchObject({ version: 2, content: 'p-c v2' });

    const byOffset = await json<TemplateList>(
      await call('/api/templates?limit=2&offset=5', { key: owner.key }),
      200,
    );
    expect(byOffset.data.map((t) => t.name)).toEqual(['p-f', 'p-g']);
    expect(byOffset.has_more).toBe(false);

    for (const bad of [
      'limit=0',
      'limit=101',
      'limit=x',
      'offset=-1',
      'cursor=abc&offset=1',
      'cursor=bm9wZQ',
    ]) {
      const err = await expectError(
        await call(`/api/templates?${bad}`, { key: owner.key }),
        400,
        'invalid_request_error',
      );
      expect(['limit', 'offset', 'cursor']).toContain(err.param);
    }
  });

  it('deletes every version; the name is then unknown, and can be created afresh', async () => {
    await create({
      name: 'doomed',
      content: 'old {{x}}',
      variables: { type: 'object', properties: { x: { type: 'string' } } },
    });
    expect((await put('doomed', { content: 'old v2 {{x}}' })).status).toBe(200);
    await expect(render('doomed', { variables: { x: '!' } })).resolves.toMatchObject({ version: 2 });
    await expect(render('doomed', { version: 1, variables: { x: '!' } })).resolves.toMatchObject({
      text: 'old !',
    });

    const del = await call('/api/templates/doomed', { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect(await del.text()).toBe('');
    await expectError(await call('/api/templates/doomed'), 404, 'not_found');
    await expectError(
      await call('/api/templates/doomed/render', { body: { variables: { x: '!' } } }),
      404,
      'not_found',
    );
    await expectError(await put('doomed', { content: 'again' }), 404, 'not_found');
    await expectError(await call('/api/templates/doomed', { method: 'DELETE' }), 404, 'not_found');
    const [left] = await queryOnce<{ n: string }>(
      db.url,
      "SELECT count(*) AS n FROM prompt_templates WHERE name = 'doomed'",
    );
    expect(Number(left.n)).toBe(0);

    // A new template under the old name: version 1 again, and nothing cached from the old one shows.
    await create({
      name: 'doomed',
      content: 'new {{y}}',
      variables: { type: 'object', properties: { y: { type: 'string' } } },
    });
    await expect(render('doomed', { version: 1, variables: { y: '?' } })).resolves.toEqual({
      name: 'doomed',
      version: 1,
      shared: false,
      text: 'new ?',
    });
    await expect(render('doomed', { variables: { y: '?' } })).resolves.toMatchObject({
      version: 1,
      text: 'new ?',
    });
  });

  it('keeps tenants apart: another key gets 404, the admin sees all', async () => {
    const alice = await issueKey('alice', ['templates']);
    const bob = await issueKey('bob', ['templates', 'chat']);
    const schema = { type: 'object', properties: { n: { type: 'string' } } };
    const mine = await create({ name: 'private', content: 'alice {{n}}', variables: schema }, alice.key);
    expect(mine.tenant).toBe(alice.id);

    await expectError(await call('/api/templates/private', { key: bob.key }), 404, 'not_found');
    await expectError(
      await call('/api/templates/private/render', { key: bob.key, body: { variables: { n: 'x' } } }),
      404,
      'not_found',
    );
    await expectError(await put('private', { content: 'hijacked' }, bob.key), 404, 'not_found');
    await expectError(
      await call('/api/templates/private', { key: bob.key, method: 'DELETE' }),
      404,
      'not_found',
    );
    await expectError(
      await call(`/api/templates/private?tenant=${alice.id}`, { key: bob.key }),
      404,
      'not_found',
    );
    await expectError(await call(`/api/templates?tenant=${alice.id}`, { key: bob.key }), 404, 'not_found');
    const bobs = await json<TemplateList>(await call('/api/templates', { key: bob.key }), 200);
    expect(bobs.data).toEqual([]);

    // Bob's own template of the same name is a different one.
    await create({ name: 'private', content: 'bob {{n}}', variables: schema }, bob.key);
    await expect(render('private', { variables: { n: '1' } }, bob.key)).resolves.toMatchObject({
      text: 'bob 1',
    });
    await expect(render('private', { variables: { n: '1' } }, alice.key)).resolves.toMatchObject({
      text: 'alice 1',
    });

    // The admin lists every tenant and addresses one with ?tenant=.
    const all = await json<TemplateList>(await call('/api/templates?limit=100'), 200);
    const owners = all.data.filter((t) => t.name === 'private').map((t) => t.tenant);
    expect(owners.sort()).toEqual([alice.id, bob.id].sort());
    const onlyAlice = await json<TemplateList>(await call(`/api/templates?tenant=${alice.id}`), 200);
    expect(onlyAlice.data.map((t) => t.name)).toEqual(['private']);
    const seen = await json<TemplateDetail>(await call(`/api/templates/private?tenant=${alice.id}`), 200);
    expect(seen).toMatchObject({ tenant: alice.id, content: 'alice {{n}}' });
    const rendered = await json<Rendered>(
      await call(`/api/templates/private/render?tenant=${bob.id}`, { body: { variables: { n: '2' } } }),
      200,
    );
    expect(rendered.text).toBe('bob 2');
    await expectError(await call('/api/templates/private'), 404, 'not_found');

    // The templates scope is required.
    const chatOnly = await issueKey('chat-only', ['chat']);
    await expectError(await call('/api/templates', { key: chatOnly.key }), 403, 'permission_error');
    await expectError(await call('/api/templates', { key: 'sk-nope' }), 401, 'authentication_error');
  });

  it('shares the templates the admin puts under ?tenant=shared with every key, read-only', async () => {
    const carol = await issueKey('carol', ['templates']);
    const dave = await issueKey('dave', ['templates']);
    const schema = { type: 'object', properties: { who: { type: 'string' } } };
    const shared = await json<TemplateView>(
      await call('/api/templates?tenant=shared', {
        body: { name: 'house-style', content: 'Be kind to {{who}}.', variables: schema },
      }),
      201,
    );
    expect(shared.tenant).toBe('shared');

    // Every key reads, renders and lists it; the render says it was the shared one.
    for (const k of [carol, dave]) {
      await expect(render('house-style', { variables: { who: 'Ann' } }, k.key)).resolves.toEqual({
        name: 'house-style',
        version: 1,
        shared: true,
        text: 'Be kind to Ann.',
      });
      const seen = await json<TemplateDetail>(await call('/api/templates/house-style', { key: k.key }), 200);
      expect(seen).toMatchObject({ tenant: 'shared', latest_version: 1 });
      const listed = await json<TemplateList>(await call('/api/templates?limit=100', { key: k.key }), 200);
      expect(listed.data.map((t) => [t.tenant, t.name])).toContainEqual(['shared', 'house-style']);
    }

    // A key cannot change or delete it (403), and nothing is written.
    const before = await rowCount();
    const denied = await expectError(
      await put('house-style', { content: 'x' }, carol.key),
      403,
      'permission_error',
    );
    expect(denied.param).toBe('name');
    await expectError(
      await call('/api/templates/house-style', { key: carol.key, method: 'DELETE' }),
      403,
      'permission_error',
    );
    expect(await rowCount()).toBe(before);

    // The admin's new version reaches readers at once (their cached name mapping is dropped).
    expect((await put('house-style?tenant=shared', { content: 'Be very kind to {{who}}.' })).status).toBe(
      200,
    );
    await expect(render('house-style', { variables: { who: 'Bo' } }, dave.key)).resolves.toMatchObject({
      version: 2,
      text: 'Be very kind to Bo.',
    });
    // Pinned versions of the shared template stay readable.
    await expect(
      render('house-style', { version: 1, variables: { who: 'Bo' } }, dave.key),
    ).resolves.toMatchObject({ text: 'Be kind to Bo.' });

    // A key's own template of that name takes precedence, for that key only; deleting it uncovers
    // the shared one again.
    await create({ name: 'house-style', content: 'Carol style for {{who}}.', variables: schema }, carol.key);
    await expect(render('house-style', { variables: { who: 'Cy' } }, carol.key)).resolves.toMatchObject({
      shared: false,
      text: 'Carol style for Cy.',
    });
    await expect(render('house-style', { variables: { who: 'Cy' } }, dave.key)).resolves.toMatchObject({
      shared: true,
    });
    // Its own template has one version: version 2 is not looked for among the shared ones.
    await expectError(
      await call('/api/templates/house-style/render', {
        key: carol.key,
        body: { version: 2, variables: {} },
      }),
      404,
      'not_found',
    );
    expect((await call('/api/templates/house-style', { key: carol.key, method: 'DELETE' })).status).toBe(204);
    await expect(render('house-style', { variables: { who: 'Cy' } }, carol.key)).resolves.toMatchObject({
      shared: true,
      text: 'Be very kind to Cy.',
    });

    // When the admin deletes it, it is gone for everyone.
    expect((await call('/api/templates/house-style?tenant=shared', { method: 'DELETE' })).status).toBe(204);
    await expectError(
      await call('/api/templates/house-style/render', { key: dave.key, body: { variables: {} } }),
      404,
      'not_found',
    );
  });

  it('refuses every invalid definition with a 4xx in the envelope, writing nothing', async () => {
    await create({ name: 'existing', content: 'x', variables: { type: 'object' } });
    const before = await rowCount();
    const ok = {
      content: 'Hi {{who}}',
      variables: { type: 'object', properties: { who: { type: 'string' } } },
    };
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ ...ok, name: 'bad name' }, 'name', /name/],
      [{ ...ok, name: '-leading' }, 'name', /name/],
      [{ ...ok, name: 'x'.repeat(129) }, 'name', /name/],
      [{ ...ok, name: 'existing' }, 'name', /already exists/],
      [{ ...ok, name: 'n1', content: 'x'.repeat(64 * 1024 + 1) }, 'content', /65536/],
      [{ ...ok, name: 'n2', content: 'é'.repeat(32 * 1024 + 1) }, 'content', /65536 bytes/],
      [
        { ...ok, name: 'n3', variables: { type: 'object', properties: { who: { type: 'text' } } } },
        'variables',
        /not a valid JSON Schema/,
      ],
      [
        { ...ok, name: 'n4', variables: { type: 'object', requried: ['who'] } },
        'variables',
        /unknown keyword/,
      ],
      [{ ...ok, name: 'n5', variables: { type: 'string' } }, 'variables.type', /describe an object/],
      [{ ...ok, name: 'n6', variables: [] }, 'variables', /object/],
      [
        {
          ...ok,
          name: 'n7',
          variables: { type: 'object', properties: { who: { type: 'string', pattern: '(a+)+$' } } },
        },
        'variables.properties.who.pattern',
        /not supported/,
      ],
      [{ ...ok, name: 'n8', content: 'Hi\n{{#who}}' }, 'content', /Unclosed section .* at line 2, column 1/],
      [{ ...ok, name: 'n9', content: '{{#who}}{{/what}}' }, 'content', /Mismatched/],
      [{ ...ok, name: 'n10', content: 'Hi {{whom}}' }, 'content', /'whom' \(line 1, column 4\)/],
      [{ ...ok, name: 'n11', content: '{{> /etc/passwd}}' }, 'content', /Partials/],
      [{ ...ok, name: 'n12', content: '{{constructor}}' }, 'content', /'constructor'/],
      [{ ...ok, name: 'n13', content: '{{#__proto__}}x{{/__proto__}}' }, 'content', /'__proto__'/],
      [{ ...ok, name: 'n14', content: '{{=<% %>=}}' }, 'content', /Set-delimiter/],
      [{ name: 'n15', variables: ok.variables }, 'content', /content/],
      [{ name: 'n16', content: 'x' }, 'variables', /variables/],
    ];
    for (const [body, param, message] of cases) {
      const err = await expectError(await call('/api/templates', { body }), 400, 'invalid_request_error');
      expect({ name: body.name, param: err.param }).toEqual({ name: body.name, param });
      expect(err.message).toMatch(message);
    }
    const badPuts: Array<[Record<string, unknown>, string]> = [
      [{ content: '{{#a}}' }, 'content'],
      [{ content: '{{undeclared}}' }, 'content'],
      [
        { content: 'x', variables: { type: 'object', properties: { a: { $ref: 'http://evil.example/s' } } } },
        'variables.properties.a.$ref',
      ],
      [{ content: 'x'.repeat(70_000) }, 'content'],
    ];
    for (const [body, param] of badPuts) {
      const err = await expectError(await put('existing', body), 400, 'invalid_request_error');
      expect(err.param).toBe(param);
    }
    await expectError(await call('/api/templates/bad%20name'), 400, 'invalid_request_error');
    await expectError(await put('missing', { content: 'x' }), 404, 'not_found');
    expect((await expectError(await call('/api/templates/missing'), 404, 'not_found')).param).toBe('name');
    expect((await expectError(await call('/api/templates/existing?version=9'), 404, 'not_found')).param).toBe(
      'version',
    );
    const unknownVersion = await expectError(
      await call('/api/templates/existing/render', { body: { version: 9, variables: {} } }),
      404,
      'not_found',
    );
    expect(unknownVersion.message).toMatch(/no version 9/);
    await expectError(await call('/api/templates/existing?version=0'), 400, 'invalid_request_error');
    expect(await rowCount()).toBe(before);
  });

  it('checks variables at render: missing, extra and wrongly typed ones are named', async () => {
    await create({ name: 'strict', content: GREETING, variables: GREETING_SCHEMA });
    const cases: Array<[unknown, string, RegExp]> = [
      [{}, 'variables.customer_name', /Missing variable 'customer_name'/],
      [{ customer_name: 'A', coupon: 'X' }, 'variables.coupon', /Unexpected variable 'coupon'/],
      [{ customer_name: 7 }, 'variables.customer_name', /must be string/],
      [
        { customer_name: 'A', items: [{ name: 'tea', qty: 'two' }] },
        'variables.items.0.qty',
        /must be integer/,
      ],
      [['customer_name'], 'variables', /variables/],
      ['text', 'variables', /variables/],
    ];
    for (const [variables, param, message] of cases) {
      const err = await expectError(
        await call('/api/templates/strict/render', { body: { variables } }),
        400,
        'invalid_request_error',
      );
      expect({ variables, param: err.param }).toEqual({ variables, param });
      expect(err.message).toMatch(message);
    }
  });

  it('renders injection attempts as plain text, and bounds the output', async () => {
    const schema = {
      type: 'object',
      properties: { v: { type: 'string' }, list: { type: 'array' } },
      additionalProperties: true,
    };
    await create({ name: 'echo', content: '[{{v}}]{{#list}}({{.}}){{/list}}', variables: schema });
    const attempts = [
      '{{constructor}}',
      '{{#list}}x{{/list}}',
      '{{> /etc/passwd}}',
      '<script>alert(1)</script> & "q"',
      '{{{v}}}',
    ];
    for (const v of attempts) {
      await expect(render('echo', { variables: { v, list: [v] } })).resolves.toMatchObject({
        text: `[${v}](${v})`,
      });
    }
    // "__proto__" keys never reach the renderer: the JSON body parser refuses them.
    const res = await fetch(`${gw.baseUrl}/api/templates/echo/render`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: '{"variables":{"v":"ok","__proto__":{"v":"polluted","toString":"x"}}}',
    });
    await expectError(res, 400, 'invalid_request_error');
    expect(({} as Record<string, unknown>).v).toBeUndefined();
    // Prototype names declared as data are stored intact and rendered from the data only.
    const protoSchema = {
      type: 'object',
      properties: { constructor: { type: 'string' }, toString: {}, list: { type: 'array' } },
    };
    const protoNames = await create({
      name: 'proto-names',
      content: '[{{constructor}}][{{toString}}]{{#list}}[{{constructor}}]{{/list}}',
      variables: protoSchema,
    });
    expect(protoNames.variables).toEqual(protoSchema);
    const [stored] = await queryOnce<{ variables: unknown }>(
      db.url,
      "SELECT variables FROM prompt_templates WHERE name = 'proto-names'",
    );
    expect(stored.variables).toEqual(protoSchema);
    const typed = await expectError(
      await call('/api/templates/proto-names/render', { body: { variables: { constructor: 1 } } }),
      400,
      'invalid_request_error',
    );
    expect(typed.param).toBe('variables.constructor');
    await expect(
      render('proto-names', { variables: { list: [{}, { constructor: 'c' }] } }),
    ).resolves.toMatchObject({
      text: '[][][][c]',
    });
    await expect(
      render('proto-names', { variables: { constructor: 'C', toString: 'T', list: [{}] } }),
    ).resolves.toMatchObject({ text: '[C][T][C]' });

    const big = 'x'.repeat(400 * 1024);
    const tooBig = await expectError(
      await call('/api/templates/echo/render', { body: { variables: { v: big, list: [big, big] } } }),
      400,
      'invalid_request_error',
    );
    expect(tooBig.message).toMatch(/exceeds 1048576 bytes/);
  });
});
