import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { OpenAiFake } from '../support/fakes/index.js';
import { waitFor } from '../support/fakes/wire-client.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { testConfig } from '../support/test-config.js';
import { createFreshDatabase } from '../support/test-database.js';
import { ChatWsClient, wsUrl } from '../support/ws-chat-client.js';

/**
 * `/ws/chat` (CONTRACT §7) against the real application and a fake OpenAI upstream: many streams
 * on one socket, cancel, frame errors, auth at upgrade time, limits shared with REST, the cache.
 */

const ADMIN = `admin-${randomBytes(12).toString('hex')}`;
const UPSTREAM_KEY = 'sk-upstream-ws';
const MODEL = 'openai/gpt-4o-mini';
const CHAT = '/v1/chat/completions';
const MAX_MESSAGE_BYTES = 4096;
const MAX_REQUESTS_PER_SOCKET = 50;

function ask(question: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: MODEL, messages: [{ role: 'user', content: question }], ...extra };
}

describe('WebSocket chat at /ws/chat', () => {
  const fake = new OpenAiFake({ apiKey: UPSTREAM_KEY });
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let gw: RunningApp;
  const clients: ChatWsClient[] = [];

  async function connect(query = `?api_key=${ADMIN}`): Promise<ChatWsClient> {
    const client = await ChatWsClient.connect(wsUrl(gw.baseUrl, query));
    clients.push(client);
    return client;
  }

  async function createKey(body: Record<string, unknown>): Promise<{ id: string; key: string }> {
    const res = await fetch(`${gw.baseUrl}/api/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; key: string };
  }

  function rest(body: Record<string, unknown>, key = ADMIN): Promise<Response> {
    return fetch(`${gw.baseUrl}${CHAT}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
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
        WS_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES),
        WS_MAX_REQUESTS_PER_SOCKET: String(MAX_REQUESTS_PER_SOCKET),
      }),
    );
  });

  afterAll(async () => {
    await gw?.close();
    await fake.stop();
    await db?.drop();
  });

  beforeEach(() => fake.reset());

  afterEach(() => {
    for (const c of clients.splice(0)) c.ws.terminate();
  });

  describe('streaming', () => {
    it('runs 50 streams at once on one socket, each id getting exactly its own text', async () => {
      fake.setDefaultBehaviour({ chunkDelayMs: 5, path: CHAT });
      const client = await connect();
      const ids = Array.from({ length: 50 }, (_, i) => `c${i}`);
      for (const [i, id] of ids.entries())
        client.request(id, ask(`question number ${i} about topic ${i * 7}`));
      const outcomes = await Promise.all(ids.map((id) => client.outcome(id, 15_000)));

      for (const [i, o] of outcomes.entries()) {
        expect(o.error).toBeUndefined();
        expect(o.text).toBe(`Echo: question number ${i} about topic ${i * 7}`);
        expect(o.deltas.length).toBeGreaterThan(1);
        expect(o.done).toEqual({
          type: 'chat.done',
          id: ids[i],
          finish_reason: 'stop',
          usage: { prompt_tokens: 6, completion_tokens: 7, total_tokens: 13 },
          cache: 'bypass',
        });
      }
      expect(fake.requestsTo(CHAT)).toHaveLength(50);
      // The streams really ran side by side: the first answer ended after others had started.
      const firstDone = client.frames.findIndex((f) => f.type === 'chat.done');
      const startedBefore = new Set(client.frames.slice(0, firstDone).map((f) => f.id));
      // Interleaved: other streams were under way before the first one finished (how many depends on load).
      expect(startedBefore.size).toBeGreaterThan(1);
      // Nothing arrives for an id after its chat.done.
      for (const id of ids) {
        const mine = client.framesFor(id);
        expect(mine[mine.length - 1]?.type).toBe('chat.done');
      }
      expect(client.isOpen).toBe(true);
    });

    it('sends tool-call fragments as chat.delta frames with tool_calls, then finish_reason tool_calls', async () => {
      const args = '{"city":"Paris","unit":"celsius"}';
      fake.setReply({ toolCalls: [{ id: 'call_ws_1', name: 'get_weather', arguments: args }] });
      const client = await connect();
      client.request(
        't1',
        ask('Weather in Paris?', { tools: [{ type: 'function', function: { name: 'get_weather' } }] }),
      );
      const o = await client.outcome('t1');
      expect(o.error).toBeUndefined();
      const calls = o.deltas.flatMap((f) => f.tool_calls ?? []);
      expect(calls.length).toBeGreaterThan(1);
      expect(o.deltas.every((f) => f.delta === '')).toBe(true);
      expect(calls[0]).toMatchObject({
        index: 0,
        id: 'call_ws_1',
        type: 'function',
        function: { name: 'get_weather' },
      });
      expect(calls.every((c) => c.index === 0)).toBe(true);
      expect(calls.map((c) => c.function.arguments).join('')).toBe(args);
      expect(o.done?.finish_reason).toBe('tool_calls');
    });

    it('ends a stream the upstream breaks with chat.error for that id and keeps the socket', async () => {
      fake.setReply({ chunks: ['one', ' two', ' three', ' four', ' five'] });
      fake.enqueueFault({ errorAfterChunks: 3, path: CHAT });
      const client = await connect();
      client.request('broken', ask('hi'));
      const o = await client.outcome('broken');
      expect(o.done).toBeUndefined();
      expect(o.error?.error).toMatchObject({
        type: expect.any(String),
        code: expect.stringMatching(/^upstream_/),
      });
      client.request('after', ask('hi again'));
      expect((await client.outcome('after')).done?.finish_reason).toBe('stop');
    });

    it('answers model_not_found for an unknown model before any upstream call', async () => {
      const client = await connect();
      client.request('m1', {
        model: 'openai/no-such-model-here',
        messages: [{ role: 'user', content: 'hi' }],
      });
      const o = await client.outcome('m1');
      expect(o.error?.error).toMatchObject({ code: 'model_not_found' });
      expect(fake.requestsTo(CHAT)).toHaveLength(0);
    });
  });

  describe('cancel', () => {
    it('chat.cancel closes the upstream call at once and nothing more arrives for that id', async () => {
      // Chunks far apart: the upstream closing well before the next one shows the abort, not a
      // failed write after it, stopped the call.
      fake.setReply({ chunks: Array.from({ length: 20 }, (_, i) => ` w${i}`) });
      fake.enqueueFault({ chunkDelayMs: 600, path: CHAT });
      const client = await connect();
      client.request('x1', ask('long answer please'));
      await client.until((frames) => frames.some((f) => f.id === 'x1' && f.type === 'chat.delta'));
      expect(fake.activeRequests).toBe(1);
      client.cancel('x1');
      await waitFor(() => fake.activeRequests === 0, 200);
      const seen = client.framesFor('x1').length;
      await sleep(800);
      const mine = client.framesFor('x1');
      expect(mine).toHaveLength(seen);
      expect(mine.every((f) => f.type === 'chat.delta')).toBe(true);
      expect(mine.length).toBeLessThan(3);
      // The id is free again at once.
      client.request('x1', ask('short'));
      expect((await client.outcome('x1')).done?.finish_reason).toBe('stop');
    });

    it('cancels a request whose upstream has not sent a byte yet', async () => {
      fake.enqueueFault({ hangAfterHeaders: true, path: CHAT });
      const client = await connect();
      client.request('h1', ask('hang'));
      await waitFor(() => fake.activeRequests === 1, 2000);
      client.cancel('h1');
      await waitFor(() => fake.activeRequests === 0, 1000);
      await sleep(200);
      expect(client.framesFor('h1')).toHaveLength(0);
      expect(client.isOpen).toBe(true);
    });

    it('closing the socket aborts every request in flight on it', async () => {
      fake.setDefaultBehaviour({ hangAfterHeaders: true, path: CHAT });
      const client = await connect();
      for (let i = 0; i < 5; i++) client.request(`g${i}`, ask(`hang ${i}`));
      await waitFor(() => fake.activeRequests === 5, 2000);
      client.close();
      await waitFor(() => fake.activeRequests === 0, 1000);
    });
  });

  describe('bad frames', () => {
    it('answers each with chat.error (id null when unattributable) and keeps serving the socket', async () => {
      const client = await connect();
      const errorAfter = async (id: string | null, send: () => void): Promise<Record<string, unknown>> => {
        const before = client.frames.length;
        send();
        const frame = await client.errorFor(id, before);
        return frame.error as unknown as Record<string, unknown>;
      };

      expect(await errorAfter(null, () => client.ws.send('{"type":"chat.request",'))).toMatchObject({
        type: 'invalid_request_error',
        code: 'invalid_request_error',
        message: expect.stringMatching(/JSON/),
      });
      expect(await errorAfter(null, () => client.ws.send('[1,2]'))).toMatchObject({
        code: 'invalid_request_error',
      });
      expect(await errorAfter('s1', () => client.request('s1', { model: MODEL }))).toMatchObject({
        code: 'invalid_request_error',
        param: 'messages',
      });
      expect(await errorAfter('s2', () => client.request('s2', ask('hi', { temperature: 5 })))).toMatchObject(
        { code: 'invalid_request_error', param: 'temperature' },
      );
      expect(await errorAfter('s3', () => client.send({ type: 'chat.request', id: 's3' }))).toMatchObject({
        code: 'invalid_request_error',
        param: 'body',
      });
      expect(await errorAfter('u1', () => client.send({ type: 'chat.bogus', id: 'u1' }))).toMatchObject({
        code: 'invalid_request_error',
        param: 'type',
      });
      expect(
        await errorAfter(null, () => client.send({ type: 'chat.request', body: ask('no id') })),
      ).toMatchObject({
        param: 'id',
      });
      expect(
        await errorAfter(null, () =>
          client.ws.send(Buffer.from('{"type":"chat.request"}'), { binary: true }),
        ),
      ).toMatchObject({
        code: 'invalid_request_error',
        message: expect.stringMatching(/[Bb]inary/),
      });
      const oversize = JSON.stringify({
        type: 'chat.request',
        id: 'big',
        body: ask('x'.repeat(MAX_MESSAGE_BYTES)),
      });
      expect(await errorAfter(null, () => client.ws.send(oversize))).toMatchObject({
        type: 'invalid_request_error',
        code: 'request_too_large',
      });
      expect(client.framesFor('big')).toHaveLength(0);
      expect(
        await errorAfter('c1', () => client.request('c1', ask('hi', { cache: { mode: 'sometimes' } }))),
      ).toMatchObject({
        code: 'invalid_request_error',
        param: 'cache.mode',
      });

      expect(fake.requestsTo(CHAT)).toHaveLength(0);
      expect(client.isOpen).toBe(true);
      client.request('ok', ask('still here?'));
      const o = await client.outcome('ok');
      expect(o.text).toBe('Echo: still here?');
      expect(o.done?.finish_reason).toBe('stop');
    });

    it('refuses a duplicate id in flight and more than WS_MAX_REQUESTS_PER_SOCKET at once', async () => {
      fake.setDefaultBehaviour({ hangAfterHeaders: true, path: CHAT });
      const client = await connect();
      const ids = Array.from({ length: MAX_REQUESTS_PER_SOCKET }, (_, i) => `p${i}`);
      for (const id of ids) client.request(id, ask(`hang ${id}`));
      await waitFor(() => fake.activeRequests === MAX_REQUESTS_PER_SOCKET, 5000);

      client.request('p0', ask('again'));
      expect((await client.errorFor('p0')).error).toMatchObject({
        code: 'invalid_request_error',
        param: 'id',
      });
      client.request('one-too-many', ask('more'));
      expect((await client.errorFor('one-too-many')).error).toMatchObject({
        type: 'rate_limit_error',
        code: 'rate_limit_exceeded',
      });
      expect(fake.requestsTo(CHAT)).toHaveLength(MAX_REQUESTS_PER_SOCKET);

      for (const id of ids) client.cancel(id);
      await waitFor(() => fake.activeRequests === 0, 2000);
      fake.setDefaultBehaviour(undefined);
      client.request('room-again', ask('now there is room'));
      expect((await client.outcome('room-again')).done?.finish_reason).toBe('stop');
    });
  });

  describe('authentication at upgrade time', () => {
    it('refuses a missing, unknown or revoked key with 401, a key without chat scope with 403', async () => {
      const url = wsUrl(gw.baseUrl);
      const missing = await ChatWsClient.refusal(url);
      expect(missing.status).toBe(401);
      expect(missing.headers['content-type']).toMatch(/^application\/json/);
      expect(missing.body).toEqual({
        error: {
          message: expect.stringMatching(/api_key/),
          type: 'authentication_error',
          code: 'authentication_error',
          param: null,
        },
      });

      const unknown = `sk-slrg-${randomBytes(6).toString('base64url')}${randomBytes(32).toString('base64url')}`;
      expect((await ChatWsClient.refusal(wsUrl(gw.baseUrl, `?api_key=${unknown}`))).status).toBe(401);
      expect(
        (await ChatWsClient.refusal(url, { headers: { authorization: 'Bearer not-the-admin-key' } })).status,
      ).toBe(401);

      const revoked = await createKey({ name: 'ws-revoked' });
      (await connect(`?api_key=${revoked.key}`)).close();
      const del = await fetch(`${gw.baseUrl}/api/keys/${revoked.id}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      expect(del.status).toBeLessThan(300);
      const afterRevoke = await ChatWsClient.refusal(wsUrl(gw.baseUrl, `?api_key=${revoked.key}`));
      expect(afterRevoke.status).toBe(401);
      expect(afterRevoke.body).toMatchObject({ error: { code: 'authentication_error' } });

      const embedOnly = await createKey({ name: 'ws-embeddings-only', scopes: ['embeddings'] });
      const forbidden = await ChatWsClient.refusal(url, {
        headers: { authorization: `Bearer ${embedOnly.key}` },
      });
      expect(forbidden.status).toBe(403);
      expect(forbidden.body).toMatchObject({ error: { type: 'permission_error', code: 'permission_error' } });
    });

    it('accepts the key as a Bearer header or as ?api_key=, and refuses other paths with 404', async () => {
      const issued = await createKey({ name: 'ws-ok' });
      const byHeader = await ChatWsClient.connect(wsUrl(gw.baseUrl), {
        headers: { authorization: `Bearer ${issued.key}` },
      });
      clients.push(byHeader);
      const byQuery = await connect(`?api_key=${issued.key}`);
      byHeader.request('a', ask('by header'));
      byQuery.request('a', ask('by query'));
      expect((await byHeader.outcome('a')).text).toBe('Echo: by header');
      expect((await byQuery.outcome('a')).text).toBe('Echo: by query');

      const elsewhere = await ChatWsClient.refusal(
        `${gw.baseUrl.replace(/^http/, 'ws')}/ws/other?api_key=${ADMIN}`,
      );
      expect(elsewhere.status).toBe(404);
      expect(elsewhere.body).toMatchObject({ error: { code: 'not_found' } });
    });

    it('holds a key to its model list, as REST does', async () => {
      const narrow = await createKey({ name: 'ws-narrow', models: ['anthropic/*'] });
      const client = await connect(`?api_key=${narrow.key}`);
      client.request('m', ask('hi'));
      expect((await client.outcome('m')).error?.error).toMatchObject({ code: 'permission_error' });
      expect(fake.requestsTo(CHAT)).toHaveLength(0);
    });
  });

  describe('limits, cache and conversations shared with REST', () => {
    it("counts a key's requests per minute across REST and WebSocket", async () => {
      const key = await createKey({ name: 'ws-rpm-4', rpm: 4 });
      const first = await rest(ask('rest one'), key.key);
      expect(first.status).toBe(200);
      expect(first.headers.get('x-ratelimit-remaining-requests')).toBe('3');
      await first.arrayBuffer();

      const client = await connect(`?api_key=${key.key}`);
      // w1's answer is cached, so asking it again over the limit below would be a cache hit.
      for (const id of ['w1', 'w2']) {
        client.request(id, ask(id, id === 'w1' ? { cache: { mode: 'exact' } } : {}));
        expect((await client.outcome(id)).done?.finish_reason).toBe('stop');
      }
      const third = await rest(ask('rest two'), key.key);
      expect(third.status).toBe(200);
      expect(third.headers.get('x-ratelimit-remaining-requests')).toBe('0');
      await third.arrayBuffer();

      const upstreamCalls = fake.requestsTo(CHAT).length;
      client.request('w3', ask('one too many'));
      const refused = await client.outcome('w3');
      expect(refused.error?.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
      expect(refused.error?.error?.retry_after).toBeGreaterThan(0);
      expect(refused.error?.error?.retry_after).toBeLessThanOrEqual(60);
      client.request('w4', ask('w1', { cache: { mode: 'exact' } }));
      expect((await client.outcome('w4')).error?.error).toMatchObject({ code: 'rate_limit_exceeded' });
      const restRefused = await rest(ask('rest three'), key.key);
      expect(restRefused.status).toBe(429);
      await restRefused.arrayBuffer();
      expect(fake.requestsTo(CHAT)).toHaveLength(upstreamCalls);
      expect(client.isOpen).toBe(true);
    });

    it('answers a repeated question from the cache (cache: "hit"), shared with REST', async () => {
      const client = await connect();
      const body = ask('What is cached over a socket?', { cache: { mode: 'exact' } });
      client.request('q1', body);
      const miss = await client.outcome('q1');
      expect(miss.done?.cache).toBe('miss');
      await sleep(50);
      client.request('q2', body);
      const hit = await client.outcome('q2');
      expect(hit.done).toMatchObject({ cache: 'hit', finish_reason: 'stop', usage: miss.done?.usage });
      expect(hit.text).toBe(miss.text);
      expect(fake.requestsTo(CHAT)).toHaveLength(1);

      const viaRest = await rest({ ...body, stream: false });
      expect(viaRest.headers.get('x-gateway-cache')).toBe('hit');
      expect(
        ((await viaRest.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]?.message
          .content,
      ).toBe(miss.text);
      expect(fake.requestsTo(CHAT)).toHaveLength(1);
    });
  });

  it('stores a conversation turn for a request with conversation_id, and none for a cancelled one', async () => {
    const created = await fetch(`${gw.baseUrl}/api/conversations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ system_prompt: 'Be brief.' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const messages = async (): Promise<Array<[string, unknown]>> => {
      const res = await fetch(`${gw.baseUrl}/api/conversations/${id}`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      const view = (await res.json()) as { messages: Array<{ role: string; content: unknown }> };
      return view.messages.map((m) => [m.role, m.content]);
    };

    const client = await connect();
    client.request('t1', ask('Remember me.', { conversation_id: id }));
    expect((await client.outcome('t1')).text).toBe('Echo: Remember me.');
    for (let i = 0; i < 100 && (await messages()).length < 2; i++) await sleep(20);
    expect(await messages()).toEqual([
      ['user', 'Remember me.'],
      ['assistant', 'Echo: Remember me.'],
    ]);
    // The history goes upstream with the next question.
    client.request('t2', ask('Again?', { conversation_id: id }));
    await client.outcome('t2');
    const sent = fake.lastRequest?.body?.messages as Array<{ role: string; content: string }>;
    expect(sent.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    for (let i = 0; i < 100 && (await messages()).length < 4; i++) await sleep(20);

    fake.enqueueFault({ hangAfterHeaders: true, path: CHAT });
    client.request('t3', ask('Forget this.', { conversation_id: id }));
    await waitFor(() => fake.activeRequests === 1, 2000);
    client.cancel('t3');
    await waitFor(() => fake.activeRequests === 0, 1000);
    await sleep(200);
    expect(await messages()).toHaveLength(4);
  });

  it('exports open sockets and streams as gauges', async () => {
    const scrape = async (name: string): Promise<number> => {
      const text = await (await fetch(`${gw.baseUrl}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      return Number(line?.split(' ')[1]);
    };
    // Sockets of earlier tests were dropped by their clients; the server notices within moments.
    for (let i = 0; i < 100 && (await scrape('gateway_open_websockets')) !== 0; i++) await sleep(10);
    const before = await scrape('gateway_open_websockets');
    expect(before).toBe(0);
    fake.setReply({ chunks: Array.from({ length: 20 }, (_, i) => ` w${i}`) });
    fake.setDefaultBehaviour({ chunkDelayMs: 100, path: CHAT });
    const a = await connect();
    await connect();
    expect(await scrape('gateway_open_websockets')).toBe(before + 2);
    a.request('s', ask('slow'));
    await a.until((frames) => frames.some((f) => f.type === 'chat.delta'));
    expect(await scrape('gateway_open_streams')).toBe(1);
    a.ws.terminate();
    await waitFor(() => fake.activeRequests === 0, 1000);
    await sleep(50);
    expect(await scrape('gateway_open_websockets')).toBe(before + 1);
    expect(await scrape('gateway_open_streams')).toBe(0);
    expect(a.ws.readyState).toBe(WebSocket.CLOSED);
  });
});
