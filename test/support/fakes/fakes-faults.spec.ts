import {
  AnthropicFake,
  anthropicError,
  LiteLlmFake,
  liteLlmError,
  OllamaFake,
  ollamaError,
  OLLAMA_QUEUE_FULL,
  OpenAiFake,
  openAiError,
} from './index.js';
import {
  parseNdjson,
  parseSse,
  post,
  rawRequest,
  splitsMultibyte,
  user,
  waitFor,
  type RawResponse,
} from './wire-client.js';
import { jsonOf, type AnthropicErrorShape, type OpenAiErrorShape } from './wire-shapes.js';

const auth = { authorization: 'Bearer sk-test' };
const anthropicHeaders = { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' };
const chatBody = (stream: boolean): Record<string, unknown> => ({
  model: 'gpt-4o-mini',
  messages: [user('hello wörld')],
  stream,
});

describe('fake faults', () => {
  const openai = new OpenAiFake();
  const anthropic = new AnthropicFake();
  const ollama = new OllamaFake();
  const litellm = new LiteLlmFake();
  const fakes = [openai, anthropic, ollama, litellm];
  const chat = (): string => `${openai.url}/v1/chat/completions`;
  const stream = (): Promise<RawResponse> => rawRequest(chat(), { body: chatBody(true), headers: auth });

  beforeAll(async () => {
    await Promise.all(fakes.map((f) => f.start()));
  });
  afterAll(async () => {
    await Promise.all(fakes.map((f) => f.stop()));
  });
  beforeEach(() => fakes.forEach((f) => f.reset()));

  it('answers a queued canned error once, with its headers', async () => {
    openai.enqueueFault(openAiError(429, 'rate_limit_exceeded', { retryAfter: '2' }));
    const limited = await post(chat(), chatBody(false), auth);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect((await jsonOf<OpenAiErrorShape>(limited)).error).toMatchObject({
      type: 'tokens',
      code: 'rate_limit_exceeded',
      param: null,
    });
    expect((await post(chat(), chatBody(false), auth)).status).toBe(200);
  });

  it('fills in each provider’s own error body when only a status is given', async () => {
    anthropic.enqueueFault({ status: 529 });
    const overloaded = await post(`${anthropic.url}/v1/messages`, {}, anthropicHeaders);
    const body = await jsonOf<AnthropicErrorShape>(overloaded);
    expect(overloaded.status).toBe(529);
    expect(body).toMatchObject({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    expect(body.request_id).toBe(overloaded.headers.get('request-id'));
    ollama.enqueueFault({ status: 503 });
    const busy = await post(`${ollama.url}/api/chat`, { model: 'llama3.2', messages: [] });
    expect([busy.status, await busy.json()]).toEqual([503, { error: OLLAMA_QUEUE_FULL }]);
    litellm.enqueueFault({ status: 500 });
    const failed = await post(`${litellm.url}/chat/completions`, {}, auth);
    expect(await failed.json()).toMatchObject({ error: { code: '500', type: 'None', param: 'None' } });
  });

  it('builds exact bodies with the helpers', () => {
    expect(anthropicError(429, { retryAfter: '5' }).headers).toMatchObject({
      'retry-after': '5',
      'anthropic-ratelimit-requests-remaining': '0',
    });
    expect(ollamaError(404, "model 'x' not found").body).toEqual({ error: "model 'x' not found" });
    expect(liteLlmError(429).body).toMatchObject({ error: { code: '429' } });
    expect(openAiError(400, 'context_length_exceeded').body).toMatchObject({
      error: { param: 'messages', type: 'invalid_request_error' },
    });
  });

  it('matches faults by path and applies the default behaviour to every request', async () => {
    openai.enqueueFault({ ...openAiError(500), path: '/v1/embeddings' });
    expect((await post(chat(), chatBody(false), auth)).status).toBe(200);
    expect(
      (await post(`${openai.url}/v1/embeddings`, { model: 'text-embedding-3-small', input: 'x' }, auth))
        .status,
    ).toBe(500);
    openai.setDefaultBehaviour({ status: 503 });
    expect((await post(chat(), chatBody(false), auth)).status).toBe(503);
    expect((await post(chat(), chatBody(false), auth)).status).toBe(503);
    openai.setDefaultBehaviour(undefined);
    expect((await post(chat(), chatBody(false), auth)).status).toBe(200);
  });

  it('delays headers by latencyMs plus delayBeforeHeadersMs, and frames by chunkDelayMs', async () => {
    openai.latencyMs = 40;
    openai.enqueueFault({ delayBeforeHeadersMs: 60 });
    let started = Date.now();
    await (await post(chat(), chatBody(false), auth)).text();
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    openai.latencyMs = 0;
    openai.enqueueFault({ chunkDelayMs: 30 });
    started = Date.now();
    const res = await stream();
    expect(parseSse(res.text).events.length).toBe(6);
    expect(Date.now() - started).toBeGreaterThanOrEqual(5 * 30 - 5);
  });

  it('cuts streams and JSON bodies mid-way by destroying the socket', async () => {
    openai.enqueueFault({ cutAfterChunks: 2 });
    const cut = await stream();
    expect(cut.status).toBe(200);
    expect(cut.error).toBeDefined();
    expect(parseSse(cut.text).events).toHaveLength(2);
    expect(cut.text).not.toContain('[DONE]');
    openai.enqueueFault({ cutAfterChunks: 0 });
    const json = await rawRequest(chat(), { body: chatBody(false), headers: auth });
    expect(json.error).toBeDefined();
    expect(() => JSON.parse(json.text) as unknown).toThrow();
    ollama.enqueueFault({ cutAfterChunks: 1 });
    const lines = await rawRequest(`${ollama.url}/api/chat`, {
      body: { model: 'llama3.2', messages: [user('a b c')] },
    });
    expect(parseNdjson(lines.text)).toHaveLength(1);
  });

  it('inserts a malformed JSON frame at the given index', async () => {
    openai.enqueueFault({ malformedChunkAt: 1 });
    const { events } = parseSse((await stream()).text);
    expect(events).toHaveLength(7);
    expect(() => JSON.parse(events[1]?.data ?? '') as unknown).toThrow();
    expect(
      events
        .filter((e, i) => i !== 1 && e.data !== '[DONE]')
        .every((e) => (JSON.parse(e.data) as unknown) !== undefined),
    ).toBe(true);
    openai.enqueueFault({ malformedChunkAt: 0 });
    const broken = await post(chat(), chatBody(false), auth);
    await expect(broken.json()).rejects.toThrow();
  });

  it('writes odd-sized pieces that split UTF-8 characters and CRLFs', async () => {
    openai.setReply({ chunks: ['é'.repeat(9), ' 👋👋👋'] });
    openai.enqueueFault({ splitAtOddBytes: true, useCrlf: true });
    const res = await stream();
    expect(res.chunks.length).toBeGreaterThan(parseSse(res.text).events.length * 3);
    expect(splitsMultibyte(res.chunks)).toBe(true);
    expect(res.chunks.some((c) => c[c.length - 1] === 0x0d)).toBe(true);
    const content = parseSse(res.text)
      .events.slice(1, 3)
      .map((e) => e.data);
    expect(content.join('')).toContain('ééééééééé');
    expect(res.text).toContain('👋👋👋');
  });

  it('writes one byte at a time, or the whole stream at once', async () => {
    ollama.enqueueFault({ bytewise: true });
    const slow = await rawRequest(`${ollama.url}/api/chat`, {
      body: { model: 'llama3.2', messages: [user('hi')] },
    });
    expect(slow.chunks.length).toBeGreaterThan(slow.text.length / 4);
    expect(parseNdjson(slow.text).at(-1)).toMatchObject({ done: true });
    openai.enqueueFault({ coalesce: true });
    const whole = await stream();
    expect(whole.chunks).toHaveLength(1);
    expect(whole.text.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('uses CRLF line endings, keep-alive comments and Anthropic pings between frames', async () => {
    openai.enqueueFault({ useCrlf: true, keepAliveBetweenChunks: true });
    const res = await stream();
    expect(res.text).not.toMatch(/[^\r]\n/);
    const parsed = parseSse(res.text);
    expect(parsed.comments).toHaveLength(parsed.events.length - 1);
    anthropic.enqueueFault({ keepAliveBetweenChunks: true });
    const body = { model: 'c', max_tokens: 9, messages: [user('hi')], stream: true };
    const events = parseSse(
      (await rawRequest(`${anthropic.url}/v1/messages`, { body, headers: anthropicHeaders })).text,
    ).events;
    expect(events.filter((e, i) => i % 2 === 1).every((e) => e.event === 'ping')).toBe(true);
  });

  it('emits each provider’s mid-stream error form and stops', async () => {
    openai.enqueueFault({ errorAfterChunks: 2 });
    const oa = parseSse((await stream()).text).events;
    expect(oa).toHaveLength(3);
    expect(JSON.parse(oa[2]?.data ?? '')).toMatchObject({ error: { type: 'server_error', code: null } });
    anthropic.enqueueFault({ errorAfterChunks: 1 });
    const body = { model: 'c', max_tokens: 9, messages: [user('hi')], stream: true };
    const an = parseSse(
      (await rawRequest(`${anthropic.url}/v1/messages`, { body, headers: anthropicHeaders })).text,
    ).events;
    expect(an.map((e) => e.event)).toEqual(['message_start', 'error']);
    ollama.enqueueFault({ errorAfterChunks: 1 });
    const ol = parseNdjson(
      (await rawRequest(`${ollama.url}/api/chat`, { body: { model: 'm', messages: [user('a b')] } })).text,
    );
    expect(ol.at(-1)).toEqual({ error: 'an error was encountered while running the model' });
    litellm.enqueueFault({ errorAfterChunks: 1 });
    const ll = await rawRequest(`${litellm.url}/chat/completions`, { body: chatBody(true), headers: auth });
    expect(ll.text).toMatch(
      /data: \{"error": \{"message": "litellm\.InternalServerError: .*", "type": "None", "param": "None", "code": "500"\}\}\n\n$/,
    );
    expect(ll.text).not.toContain('[DONE]');
  });

  it('hangs after the headers until the client gives up, and resets connections', async () => {
    openai.enqueueFault({ hangAfterHeaders: true });
    const controller = new AbortController();
    const res = await fetch(chat(), {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(chatBody(true)),
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    expect(openai.activeRequests).toBe(1);
    const reading = res.text();
    controller.abort();
    await expect(reading).rejects.toThrow();
    await waitFor(() => openai.activeRequests === 0);
    openai.enqueueFault({ resetConnection: true });
    const reset = await rawRequest(chat(), { body: chatBody(false), headers: auth });
    expect(reset.status).toBe(0);
    expect(reset.error?.code).toBe('ECONNRESET');
    await waitFor(() => openai.activeRequests === 0);
  });

  it('lets content-type be overridden and supports the Azure, vLLM and unknown-event quirks', async () => {
    openai.enqueueFault({ headers: { 'content-type': 'text/event-stream' } });
    expect((await stream()).headers['content-type']).toBe('text/event-stream');
    const quirky = await OpenAiFake.start({ azureFirstChunk: true, usageChoicesNull: true });
    const odd = await AnthropicFake.start({ unknownEvent: true });
    try {
      const body = { ...chatBody(true), stream_options: { include_usage: true } };
      const events = parseSse(
        (await rawRequest(`${quirky.url}/v1/chat/completions`, { body, headers: auth })).text,
      ).events;
      expect(JSON.parse(events[0]?.data ?? '')).toMatchObject({ id: '', choices: [] });
      expect(JSON.parse(events.at(-2)?.data ?? '')).toMatchObject({
        choices: null,
        usage: { total_tokens: 5 },
      });
      const msg = { model: 'c', max_tokens: 9, messages: [user('hi')], stream: true };
      const an = parseSse(
        (await rawRequest(`${odd.url}/v1/messages`, { body: msg, headers: anthropicHeaders })).text,
      ).events;
      expect(an[1]?.event).toBe('future_thing');
    } finally {
      await Promise.all([quirky.stop(), odd.stop()]);
    }
  });
});
