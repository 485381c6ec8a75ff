import { fromBase64Float32, OpenAiFake } from './index.js';
import { parseSse, post, user } from './wire-client.js';
import {
  jsonOf,
  parseAs,
  type EmbeddingListShape,
  type ModelListShape,
  type OpenAiChunkShape,
  type OpenAiCompletionShape,
  type OpenAiErrorShape,
} from './wire-shapes.js';

describe('OpenAiFake', () => {
  let fake: OpenAiFake;
  const auth = { authorization: 'Bearer sk-test' };
  const chatUrl = (): string => `${fake.url}/v1/chat/completions`;
  beforeAll(async () => {
    fake = await OpenAiFake.start({ apiKey: 'sk-test' });
  });
  afterAll(() => fake.stop());
  beforeEach(() => fake.reset());

  it('answers a non-streaming chat completion with the echo reply and records the request', async () => {
    const res = await post(chatUrl(), { model: 'gpt-4o-mini', messages: [user('hello there')] }, auth);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-request-id')).toMatch(/^req_/);
    expect(res.headers.get('x-ratelimit-reset-tokens')).toBe('9ms');
    const body = await jsonOf<OpenAiCompletionShape>(res);
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'gpt-4o-mini',
      choices: [{ index: 0, finish_reason: 'stop' }],
    });
    expect(body.choices[0]?.message).toEqual({
      role: 'assistant',
      content: 'Echo: hello there',
      refusal: null,
      annotations: [],
    });
    expect(body.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 });
    expect(fake.lastRequest?.body?.model).toBe('gpt-4o-mini');
    expect(fake.lastRequest?.headers.authorization).toBe('Bearer sk-test');
  });

  it('streams role, content, finish and usage chunks, then [DONE]', async () => {
    fake.setReply({ chunks: ['Hé', 'llo 👋'], usage: { promptTokens: 7, completionTokens: 2 } });
    const body = {
      model: 'gpt-4o-mini',
      messages: [user('hi')],
      stream: true,
      stream_options: { include_usage: true },
    };
    const res = await post(chatUrl(), body, auth);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await res.text();
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    const { events } = parseSse(text);
    expect(events.every((e) => e.event === undefined)).toBe(true);
    const chunks = events.slice(0, -1).map((e) => parseAs<OpenAiChunkShape>(e.data));
    expect(chunks.map((c) => c.choices?.[0]?.delta)).toEqual([
      { role: 'assistant', content: '', refusal: null },
      { content: 'Hé' },
      { content: 'llo 👋' },
      {},
      undefined,
    ]);
    expect(chunks[3]?.choices?.[0]?.finish_reason).toBe('stop');
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks.slice(0, 4).every((c) => c.usage === null)).toBe(true);
    expect(chunks[4]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 },
    });
  });

  it('streams tool calls as an id/name header followed by argument fragments', async () => {
    fake.setReply({ toolCalls: [{ id: 'call_abc123', name: 'get_weather', arguments: '{"city":"Paris"}' }] });
    const res = await post(
      chatUrl(),
      { model: 'gpt-4o-mini', messages: [user('weather?')], stream: true },
      auth,
    );
    const events = parseSse(await res.text()).events.filter((e) => e.data !== '[DONE]');
    const chunks = events.map((e) => parseAs<OpenAiChunkShape>(e.data));
    expect(chunks[0]?.choices?.[0]?.delta).toMatchObject({
      role: 'assistant',
      content: null,
      tool_calls: [
        { index: 0, id: 'call_abc123', type: 'function', function: { name: 'get_weather', arguments: '' } },
      ],
    });
    const args = chunks
      .flatMap((c) => c.choices?.[0]?.delta.tool_calls ?? [])
      .map((t) => t.function.arguments ?? '');
    expect(args.join('')).toBe('{"city":"Paris"}');
    expect(args.filter((a) => a !== '').length).toBeGreaterThan(1);
    expect(chunks[chunks.length - 1]?.choices?.[0]).toMatchObject({ delta: {}, finish_reason: 'tool_calls' });
    expect(chunks.some((c) => 'usage' in c)).toBe(false);
  });

  it('cuts a long default reply at max_completion_tokens with finish_reason length', async () => {
    const res = await post(
      chatUrl(),
      { model: 'm', messages: [user('a b c d e f')], max_completion_tokens: 3 },
      auth,
    );
    const body = await jsonOf<OpenAiCompletionShape>(res);
    expect(body.choices[0]).toMatchObject({ finish_reason: 'length', message: { content: 'Echo: a b' } });
  });

  it('uses queued replies before the persistent one', async () => {
    fake.setReply({ text: 'always' });
    fake.enqueueReply({ text: 'once' });
    const texts: Array<string | null | undefined> = [];
    for (let i = 0; i < 2; i++) {
      const res = await post(chatUrl(), { model: 'm', messages: [user('x')] }, auth);
      texts.push((await jsonOf<OpenAiCompletionShape>(res)).choices[0]?.message.content);
    }
    expect(texts).toEqual(['once', 'always']);
  });

  it('rejects a wrong or missing key with the 401 body', async () => {
    const wrong = await post(chatUrl(), { model: 'm', messages: [] }, { authorization: 'Bearer sk-false' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({
      error: {
        message:
          'Incorrect API key provided: sk-false. You can find your API key at https://platform.openai.com/account/api-keys.',
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_api_key',
      },
    });
    const missing = await post(chatUrl(), {});
    expect(missing.status).toBe(401);
    expect((await jsonOf<OpenAiErrorShape>(missing)).error.code).toBeNull();
  });

  it('reports context overflow as 400 context_length_exceeded', async () => {
    const small = await OpenAiFake.start({ contextWindowTokens: 3 });
    try {
      const res = await post(
        `${small.url}/v1/chat/completions`,
        { model: 'm', messages: [user('one two three four')] },
        auth,
      );
      expect(res.status).toBe(400);
      expect((await jsonOf<OpenAiErrorShape>(res)).error).toMatchObject({
        code: 'context_length_exceeded',
        param: 'messages',
      });
    } finally {
      await small.stop();
    }
  });

  it('serves float and base64 embeddings, honouring dimensions', async () => {
    const url = `${fake.url}/v1/embeddings`;
    const model = 'text-embedding-3-small';
    const float = await jsonOf<EmbeddingListShape>(
      await post(url, { model, input: ['a cat', 'a dog'] }, auth),
    );
    expect(float).toMatchObject({ object: 'list', model, usage: { prompt_tokens: 4, total_tokens: 4 } });
    expect(float.data.map((d) => d.index)).toEqual([0, 1]);
    expect(float.data[0]?.embedding).toHaveLength(1536);
    const b64 = await jsonOf<EmbeddingListShape>(
      await post(url, { model, input: 'a cat', encoding_format: 'base64', dimensions: 8 }, auth),
    );
    const decoded = fromBase64Float32(String(b64.data[0]?.embedding));
    expect(decoded).toHaveLength(8);
    const again = await jsonOf<EmbeddingListShape>(
      await post(url, { model, input: 'a cat', dimensions: 8 }, auth),
    );
    expect(again.data[0]?.embedding).toEqual(decoded);
    const ada = await post(url, { model: 'text-embedding-ada-002', input: 'x', dimensions: 8 }, auth);
    expect(ada.status).toBe(400);
  });

  it('lists and retrieves models; unknown models and paths without /v1 are 404', async () => {
    const list = await jsonOf<ModelListShape>(await fetch(`${fake.url}/v1/models`, { headers: auth }));
    expect(list.object).toBe('list');
    expect(list.data[0]).toMatchObject({ id: 'gpt-4o-mini', object: 'model', owned_by: 'system' });
    const one = await fetch(`${fake.url}/v1/models/gpt-4o-mini`, { headers: auth });
    expect(await one.json()).toMatchObject({ id: 'gpt-4o-mini', object: 'model' });
    const missing = await fetch(`${fake.url}/v1/models/gpt-9`, { headers: auth });
    expect(missing.status).toBe(404);
    expect((await jsonOf<OpenAiErrorShape>(missing)).error.code).toBe('model_not_found');
    expect((await post(`${fake.url}/chat/completions`, {}, auth)).status).toBe(404);
  });
});
