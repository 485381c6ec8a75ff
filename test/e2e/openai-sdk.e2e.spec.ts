import OpenAI from 'openai';
import { OpenAiFake } from '../support/fakes/index.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { testConfig } from '../support/test-config.js';
import { createFreshDatabase } from '../support/test-database.js';

const UPSTREAM_KEY = 'sk-upstream-test-key';

describe('OpenAI SDK against the gateway (OpenAI upstream)', () => {
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let fake: OpenAiFake;
  let gw: RunningApp;
  let client: OpenAI;

  beforeAll(async () => {
    db = await createFreshDatabase();
    fake = new OpenAiFake({ apiKey: UPSTREAM_KEY });
    await fake.start();
    gw = await startApp(
      testConfig({ DATABASE_URL: db.url, OPENAI_API_KEY: UPSTREAM_KEY, OPENAI_BASE_URL: `${fake.url}/v1` }),
    );
    client = new OpenAI({ apiKey: 'unused-when-auth-is-off', baseURL: `${gw.baseUrl}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await gw?.close();
    await fake?.stop();
    await db?.drop();
  });

  beforeEach(() => fake.reset());

  it('completes a chat and reports usage', async () => {
    fake.setReply({ text: 'Hello there!', usage: { promptTokens: 11, completionTokens: 3 } });
    const res = await client.chat.completions
      .create({
        model: 'openai/gpt-4o-mini',
        messages: [
          { role: 'system', content: 'Be terse.' },
          { role: 'user', content: 'Say hi' },
        ],
      })
      .withResponse();
    expect(res.data.choices[0].message.content).toBe('Hello there!');
    expect(res.data.choices[0].finish_reason).toBe('stop');
    expect(res.data.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 });
    expect(res.data.model).toBe('openai/gpt-4o-mini');
    expect(res.response.headers.get('x-gateway-provider')).toBe('openai');
    expect(res.response.headers.get('x-request-id')).toBeTruthy();
    const upstream = fake.requestsTo('/v1/chat/completions')[0];
    expect(upstream.body).toMatchObject({
      model: 'gpt-4o-mini',
      messages: [{ role: 'system' }, { role: 'user' }],
    });
    expect(upstream.headers.authorization).toBe(`Bearer ${UPSTREAM_KEY}`);
  });

  it('streams chunks ending in [DONE], with usage when asked', async () => {
    fake.setReply({
      text: 'one two three',
      chunks: ['one', ' two', ' three'],
      usage: { promptTokens: 5, completionTokens: 3 },
    });
    const stream = await client.chat.completions.create({
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'count' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const deltas: string[] = [];
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) deltas.push(chunk.choices[0].delta.content);
      if (chunk.choices[0]?.finish_reason) finish = chunk.choices[0].finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(deltas.join('')).toBe('one two three');
    expect(deltas.length).toBeGreaterThanOrEqual(3);
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 });
  });

  it('streams tool-call deltas the SDK can assemble', async () => {
    fake.setReply({
      toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }],
      finishReason: 'tool_calls',
    });
    const stream = client.chat.completions.stream({
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'weather?' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
          },
        },
      ],
    });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0].finish_reason).toBe('tool_calls');
    expect(final.choices[0].message.tool_calls?.[0]).toMatchObject({
      id: 'call_1',
      function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
    });
  });

  it('lists configured models', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toContain('openai/gpt-4o-mini');
  });

  it('embeds through the upstream and locally', async () => {
    const remote = await client.embeddings.create({
      model: 'openai/text-embedding-3-small',
      input: ['a', 'b'],
    });
    expect(remote.data).toHaveLength(2);
    expect(remote.data[0].embedding).toHaveLength(1536);
    const local = await client.embeddings.create({ model: 'local/hash-384', input: 'hello world' });
    expect(local.data[0].embedding).toHaveLength(384);
  });

  it('raises NotFoundError for an unknown model without calling the upstream chat', async () => {
    await expect(
      client.chat.completions.create({
        model: 'openai/gpt-nope',
        messages: [{ role: 'user', content: 'x' }],
      }),
    ).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(
      client.chat.completions.create({ model: 'mystery/model', messages: [{ role: 'user', content: 'x' }] }),
    ).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    expect(fake.requestsTo('/v1/chat/completions')).toHaveLength(0);
  });

  it('raises BadRequestError for an invalid request', async () => {
    await expect(
      client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [] }),
    ).rejects.toMatchObject({ status: 400, param: 'messages' });
  });

  it('raises RateLimitError with Retry-After carried over from the upstream', async () => {
    fake.enqueueFault({ status: 429, headers: { 'retry-after': '7' } });
    const err = await client.chat.completions
      .create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('7');
  });

  it('maps upstream failures to the contract statuses', async () => {
    const call = () =>
      client.chat.completions
        .create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] })
        .catch((e: unknown) => e);
    fake.enqueueFault({ status: 500 });
    expect(await call()).toMatchObject({ status: 502, code: 'upstream_error' });
    fake.enqueueFault({ status: 503 });
    expect(await call()).toMatchObject({ status: 503, code: 'upstream_unavailable' });
    fake.enqueueFault({ status: 401 });
    const denied = await call();
    expect(denied).toMatchObject({ status: 502, code: 'upstream_error' });
    expect(String((denied as Error).message)).toMatch(/credentials/);
    fake.enqueueFault({ resetConnection: true });
    expect(await call()).toMatchObject({ status: 503, code: 'upstream_unavailable' });
  });

  it('ends a stream cut by the upstream with an error event, never a silent [DONE]', async () => {
    fake.setReply({ text: 'a b c d e f', chunks: ['a', ' b', ' c', ' d', ' e', ' f'] });
    fake.enqueueFault({ cutAfterChunks: 3 });
    const res = await fetch(`${gw.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'openai/gpt-4o-mini',
        stream: true,
        messages: [{ role: 'user', content: 'x' }],
      }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain('[DONE]');
    const last = text.trim().split('\n\n').pop() ?? '';
    expect(JSON.parse(last.replace(/^data: /, ''))).toMatchObject({
      error: { code: expect.stringMatching(/^upstream_(error|unavailable)$/) },
    });
  });

  it('parses upstream chunks split at odd byte boundaries', async () => {
    fake.setReply({ text: 'héllo wörld 🌍', chunks: ['héllo', ' wörld', ' 🌍'] });
    fake.enqueueFault({ splitAtOddBytes: true, useCrlf: true });
    const stream = await client.chat.completions.create({
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('héllo wörld 🌍');
  });
});

describe('upstream connection pooling and aborts', () => {
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let fake: OpenAiFake;
  let gw: RunningApp;

  beforeAll(async () => {
    db = await createFreshDatabase();
    fake = new OpenAiFake();
    await fake.start();
    gw = await startApp(
      testConfig({ DATABASE_URL: db.url, OPENAI_API_KEY: 'k', OPENAI_BASE_URL: `${fake.url}/v1` }),
    );
  });
  afterAll(async () => {
    await gw?.close();
    await fake?.stop();
    await db?.drop();
  });

  it('reuses a handful of keep-alive sockets for 200 sequential requests', async () => {
    fake.reset();
    for (let i = 0; i < 200; i++) {
      const res = await fetch(`${gw.baseUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: `q${i}` }] }),
      });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    expect(fake.requestsTo('/v1/chat/completions')).toHaveLength(200);
    expect(fake.socketsOpened).toBeLessThanOrEqual(3);
  });

  it('aborts the upstream request when the client disconnects mid-stream', async () => {
    fake.reset();
    fake.setReply({ text: 'x '.repeat(50), chunks: Array.from({ length: 50 }, () => 'x ') });
    fake.enqueueFault({ chunkDelayMs: 50 });
    const controller = new AbortController();
    const res = await fetch(`${gw.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'openai/gpt-4o-mini',
        stream: true,
        messages: [{ role: 'user', content: 'long' }],
      }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    const until = Date.now() + 2000;
    while (fake.activeRequests > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(fake.activeRequests).toBe(0);
  });
});

describe('token validation before the upstream call', () => {
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let fake: OpenAiFake;
  let gw: RunningApp;
  let client: OpenAI;

  beforeAll(async () => {
    db = await createFreshDatabase();
    fake = new OpenAiFake();
    await fake.start();
    gw = await startApp(
      testConfig({ DATABASE_URL: db.url, OPENAI_API_KEY: 'k', OPENAI_BASE_URL: `${fake.url}/v1` }),
    );
    client = new OpenAI({ apiKey: 'x', baseURL: `${gw.baseUrl}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await gw?.close();
    await fake?.stop();
    await db?.drop();
  });

  it('refuses prompt + max_tokens over the context window, naming both numbers', async () => {
    const long = 'lorem ipsum dolor sit amet '.repeat(30_000);
    const err = await client.chat.completions
      .create({ model: 'openai/gpt-4o-mini', max_tokens: 1000, messages: [{ role: 'user', content: long }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err).toMatchObject({ code: 'context_length_exceeded', param: 'messages' });
    expect(String((err as Error).message)).toMatch(
      /maximum context length is 128000 tokens.*\d+ in the messages, 1000 in the completion/,
    );
    expect(fake.requestsTo('/v1/chat/completions')).toHaveLength(0);
  });

  it('refuses max_tokens over the model output limit', async () => {
    const err = await client.chat.completions
      .create({
        model: 'openai/gpt-4o-mini',
        max_tokens: 10_000_000,
        messages: [{ role: 'user', content: 'hi' }],
      })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, param: 'max_tokens' });
    expect(fake.requestsTo('/v1/chat/completions')).toHaveLength(0);
  });

  it('lets a request that fits through', async () => {
    const ok = await client.chat.completions.create({
      model: 'openai/gpt-4o-mini',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(ok.choices[0].message.content).toBe('Echo: hi');
  });
});
