import { LiteLlmFake, OllamaFake } from './index.js';
import { parseNdjson, parseSse, post, user } from './wire-client.js';
import {
  jsonOf,
  parseAs,
  type EmbeddingListShape,
  type LiteLlmErrorShape,
  type ModelListShape,
  type OllamaChatShape,
  type OpenAiChunkShape,
  type OpenAiCompletionShape,
} from './wire-shapes.js';

describe('OllamaFake', () => {
  let fake: OllamaFake;
  beforeAll(async () => {
    fake = await OllamaFake.start({ rejectUnknownModels: true });
  });
  afterAll(() => fake.stop());
  beforeEach(() => fake.reset());

  it('streams NDJSON by default, ending with a done line with metrics in nanoseconds', async () => {
    const res = await post(`${fake.url}/api/chat`, {
      model: 'llama3.2',
      messages: [user('why is the sky blue')],
    });
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const text = await res.text();
    expect(text.endsWith('}\n')).toBe(true);
    const lines = parseNdjson<OllamaChatShape>(text) as OllamaChatShape[];
    const last = lines[lines.length - 1];
    expect(
      lines
        .slice(0, -1)
        .every((l) => l.done === false && l.done_reason === undefined && l.eval_count === undefined),
    ).toBe(true);
    expect(
      lines
        .slice(0, -1)
        .map((l) => l.message?.content ?? '')
        .join(''),
    ).toBe('Echo: why is the sky blue');
    expect(last).toMatchObject({
      model: 'llama3.2',
      done: true,
      done_reason: 'stop',
      message: { role: 'assistant', content: '' },
    });
    expect(last).toMatchObject({ prompt_eval_count: 5, eval_count: 6 });
    expect(last?.eval_duration).toBe(6 * 15_000_000);
    expect(last?.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  });

  it('answers stream:false with one object; tool call arguments are objects; zero metrics are omitted', async () => {
    fake.setReply({
      toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }],
      usage: { promptTokens: 0, completionTokens: 4 },
    });
    const res = await post(`${fake.url}/api/chat`, {
      model: 'llama3.2:latest',
      messages: [user('x')],
      stream: false,
    });
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = await jsonOf<OllamaChatShape>(res);
    expect(body).toMatchObject({ done: true, done_reason: 'stop', eval_count: 4 });
    expect('prompt_eval_count' in body).toBe(false);
    const call = body.message?.tool_calls?.[0];
    expect(call?.function).toEqual({ index: 0, name: 'get_weather', arguments: { city: 'Paris' } });
    expect(call?.id).toMatch(/^call_[a-z0-9]{8}$/);
  });

  it('answers empty messages with done_reason load, and /api/generate with response pieces', async () => {
    const load = await jsonOf<OllamaChatShape>(
      await post(`${fake.url}/api/chat`, { model: 'llama3.2', messages: [] }),
    );
    expect(load).toMatchObject({ done: true, done_reason: 'load' });
    const gen = parseNdjson<OllamaChatShape>(
      await (await post(`${fake.url}/api/generate`, { model: 'llama3.2', prompt: 'hi' })).text(),
    ) as OllamaChatShape[];
    expect(gen.map((l) => l.response).join('')).toBe('Echo: hi');
    expect(gen[gen.length - 1]).toMatchObject({ done: true, done_reason: 'stop', response: '' });
  });

  it('returns {"error":...} with the reference statuses', async () => {
    const unknown = await post(`${fake.url}/api/chat`, { model: 'llama9', messages: [user('x')] });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: "model 'llama9' not found" });
    const noModel = await post(`${fake.url}/api/chat`, { messages: [] });
    expect(noModel.status).toBe(400);
    expect(await noModel.json()).toEqual({ error: 'model is required' });
    const empty = await fetch(`${fake.url}/api/chat`, { method: 'POST' });
    expect(await empty.json()).toEqual({ error: 'missing request body' });
    const route = await fetch(`${fake.url}/api/nope`);
    expect([route.status, await route.text()]).toEqual([404, '404 page not found']);
  });

  it('serves /api/embed, /api/tags, /api/show, /api/version and GET /', async () => {
    const embed = await jsonOf<{ embeddings: number[][]; prompt_eval_count: number }>(
      await post(`${fake.url}/api/embed`, { model: 'all-minilm', input: ['a', 'b c'] }),
    );
    expect(embed.embeddings.map((e) => e.length)).toEqual([384, 384]);
    expect(embed.prompt_eval_count).toBe(3);
    const tags = await jsonOf<{
      models: Array<{ name: string; model: string; details: { format: string } }>;
    }>(await fetch(`${fake.url}/api/tags`));
    expect(tags.models.map((m) => m.name)).toEqual([
      'llama3.2:latest',
      'qwen2.5:7b',
      'all-minilm:latest',
      'nomic-embed-text:latest',
    ]);
    expect(tags.models[0]?.details.format).toBe('gguf');
    const show = await jsonOf<{ model_info: Record<string, unknown> }>(
      await post(`${fake.url}/api/show`, { model: 'llama3.2' }),
    );
    expect(show.model_info['llama.context_length']).toBe(131072);
    expect(await (await fetch(`${fake.url}/api/version`)).json()).toEqual({ version: '0.12.6' });
    expect(await (await fetch(`${fake.url}/`)).text()).toBe('Ollama is running');
  });

  it('speaks the /v1 compatibility dialect', async () => {
    const body = {
      model: 'llama3.2',
      messages: [user('hi')],
      stream: true,
      stream_options: { include_usage: true },
    };
    const events = parseSse(await (await post(`${fake.url}/v1/chat/completions`, body)).text()).events;
    expect(events[events.length - 1]?.data).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => parseAs<OpenAiChunkShape>(e.data));
    expect(chunks.every((c) => c.id.startsWith('chatcmpl-') && !('usage' in c && c.usage === null))).toBe(
      true,
    );
    expect(chunks.slice(0, -1).every((c) => c.choices?.[0]?.delta.role === 'assistant')).toBe(true);
    expect(chunks[chunks.length - 1]).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 1, total_tokens: 3 },
    });
    const plain = await jsonOf<OpenAiCompletionShape>(
      await post(`${fake.url}/v1/chat/completions`, { model: 'llama3.2', messages: [user('x')] }),
    );
    expect(plain.system_fingerprint).toBe('fp_ollama');
    const missing = await post(`${fake.url}/v1/chat/completions`, { model: 'nope', messages: [user('x')] });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({
      error: { type: 'not_found_error', param: null, code: null },
    });
    const models = await jsonOf<ModelListShape>(await fetch(`${fake.url}/v1/models`));
    expect(models.data[0]).toMatchObject({ id: 'llama3.2:latest', object: 'model', owned_by: 'library' });
  });
});

describe('LiteLlmFake', () => {
  let fake: LiteLlmFake;
  const auth = { authorization: 'Bearer sk-master' };
  beforeAll(async () => {
    fake = await LiteLlmFake.start({
      masterKey: 'sk-master',
      rejectUnknownModels: true,
      models: ['gpt-4o', 'text-embedding-3-small'],
    });
  });
  afterAll(() => fake.stop());
  beforeEach(() => fake.reset());

  it('serves chat completions with and without /v1, with x-litellm-* headers', async () => {
    for (const path of ['/v1/chat/completions', '/chat/completions']) {
      const res = await post(`${fake.url}${path}`, { model: 'gpt-4o', messages: [user('hi')] }, auth);
      expect(res.status).toBe(200);
      expect(res.headers.get('x-litellm-call-id')).toMatch(/^[0-9a-f-]{36}$/);
      expect(res.headers.get('x-litellm-model-group')).toBe('gpt-4o');
      expect(res.headers.get('x-litellm-response-cost')).toBeTruthy();
      expect(res.headers.get('llm_provider-openai-processing-ms')).toBe('256');
      expect((await jsonOf<OpenAiCompletionShape>(res)).choices[0]?.message.content).toBe('Echo: hi');
    }
    const viaHeader = await post(
      `${fake.url}/chat/completions`,
      { model: 'gpt-4o', messages: [user('x')] },
      { 'x-litellm-api-key': 'sk-master' },
    );
    expect(viaHeader.status).toBe(200);
  });

  it('streams OpenAI chunks ending in [DONE]', async () => {
    const res = await post(
      `${fake.url}/chat/completions`,
      { model: 'gpt-4o', messages: [user('a b')], stream: true },
      auth,
    );
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const events = parseSse(await res.text()).events;
    expect(events[events.length - 1]?.data).toBe('[DONE]');
    const content = events
      .slice(0, -1)
      .map((e) => parseAs<OpenAiChunkShape>(e.data).choices?.[0]?.delta.content ?? '');
    expect(content.join('')).toBe('Echo: a b');
  });

  it('uses the LiteLLM error envelope with a string code', async () => {
    const wrong = await post(
      `${fake.url}/v1/chat/completions`,
      { model: 'gpt-4o', messages: [user('x')] },
      { authorization: 'Bearer sk-other' },
    );
    expect(wrong.status).toBe(401);
    const body = await jsonOf<LiteLlmErrorShape>(wrong);
    expect(body.error).toMatchObject({ type: 'token_not_found_in_db', param: 'key', code: '401' });
    expect(body.error.message).toMatch(/^Authentication Error, Invalid proxy server token passed/);
    const unknown = await post(
      `${fake.url}/chat/completions`,
      { model: 'gpt-5', messages: [user('x')] },
      auth,
    );
    expect(unknown.status).toBe(400);
    const err = (await jsonOf<LiteLlmErrorShape>(unknown)).error;
    expect(err.code).toBe('400');
    expect(err.message).toContain('Invalid model name passed in model=gpt-5');
  });

  it('serves embeddings, models and health endpoints', async () => {
    const emb = await jsonOf<EmbeddingListShape>(
      await post(`${fake.url}/embeddings`, { model: 'text-embedding-3-small', input: 'x' }, auth),
    );
    expect(emb.data[0]?.embedding).toHaveLength(1536);
    const models = await jsonOf<ModelListShape>(await fetch(`${fake.url}/models`, { headers: auth }));
    expect(models).toEqual({
      data: [expect.objectContaining({ id: 'gpt-4o', owned_by: 'openai' }), expect.anything()],
      object: 'list',
    });
    expect(await (await fetch(`${fake.url}/health/liveliness`)).json()).toBe("I'm alive!");
    expect((await fetch(`${fake.url}/health`)).status).toBe(401);
    const health = await jsonOf<{ healthy_count: number }>(
      await fetch(`${fake.url}/health`, { headers: auth }),
    );
    expect(health.healthy_count).toBe(2);
    expect(await (await fetch(`${fake.url}/health/readiness`)).json()).toMatchObject({
      status: 'connected',
      db: 'connected',
    });
  });
});
