import { AnthropicFake } from './index.js';
import { parseSse, post, user } from './wire-client.js';
import {
  jsonOf,
  parseAs,
  type AnthropicErrorShape,
  type AnthropicEventShape,
  type AnthropicMessageShape,
  type ModelListShape,
} from './wire-shapes.js';

describe('AnthropicFake', () => {
  let fake: AnthropicFake;
  const headers = { 'x-api-key': 'sk-ant', 'anthropic-version': '2023-06-01' };
  const messagesUrl = (): string => `${fake.url}/v1/messages`;
  beforeAll(async () => {
    fake = await AnthropicFake.start({ apiKey: 'sk-ant' });
  });
  afterAll(() => fake.stop());
  beforeEach(() => fake.reset());

  it('answers a non-streaming message', async () => {
    const res = await post(
      messagesUrl(),
      { model: 'claude-x', max_tokens: 100, system: 'Be terse.', messages: [user('hi')] },
      headers,
    );
    expect(res.headers.get('request-id')).toMatch(/^req_/);
    expect(res.headers.get('anthropic-ratelimit-requests-reset')).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
    const body = await jsonOf<AnthropicMessageShape>(res);
    expect(body).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-x',
      stop_reason: 'end_turn',
      stop_sequence: null,
    });
    expect(body.id).toMatch(/^msg_/);
    expect(body.content).toEqual([{ type: 'text', text: 'Echo: hi' }]);
    expect(body.usage).toMatchObject({ input_tokens: 3, output_tokens: 2, cache_read_input_tokens: 0 });
  });

  it('streams named events whose names equal data.type, with a ping and tool input deltas', async () => {
    fake.setReply({
      text: 'Let me check.',
      toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }],
    });
    const res = await post(
      messagesUrl(),
      { model: 'claude-x', max_tokens: 100, messages: [user('hi')], stream: true },
      headers,
    );
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const { events } = parseSse(await res.text());
    const data = events.map((e) => parseAs<AnthropicEventShape>(e.data));
    data.forEach((d, i) => expect(d.type).toBe(events[i]?.event));
    const names = events.map((e) => e.event);
    expect(names.slice(0, 3)).toEqual(['message_start', 'content_block_start', 'ping']);
    expect(names.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(data[0]?.message).toMatchObject({ content: [], stop_reason: null, usage: { output_tokens: 1 } });
    const toolStart = data.find((d) => d.type === 'content_block_start' && d.index === 1);
    expect(toolStart?.content_block).toMatchObject({ type: 'tool_use', name: 'get_weather', input: {} });
    expect(toolStart?.content_block?.id).toMatch(/^toolu_/);
    const partial = data
      .filter((d) => d.delta?.type === 'input_json_delta')
      .map((d) => d.delta?.partial_json ?? '');
    expect(JSON.parse(partial.join(''))).toEqual({ city: 'Paris' });
    expect(data.find((d) => d.type === 'message_delta')?.delta).toEqual({
      stop_reason: 'tool_use',
      stop_sequence: null,
    });
    const text = data.filter((d) => d.delta?.type === 'text_delta').map((d) => d.delta?.text ?? '');
    expect(text.join('')).toBe('Let me check.');
  });

  it('requires x-api-key, anthropic-version and max_tokens, and rejects system messages', async () => {
    expect((await post(messagesUrl(), {}, { 'anthropic-version': '2023-06-01' })).status).toBe(401);
    const wrongKey = await jsonOf<AnthropicErrorShape>(
      await post(messagesUrl(), {}, { ...headers, 'x-api-key': 'nope' }),
    );
    expect(wrongKey).toMatchObject({
      type: 'error',
      error: { type: 'authentication_error', message: 'invalid x-api-key' },
    });
    const noVersion = await post(messagesUrl(), {}, { 'x-api-key': 'sk-ant' });
    expect(noVersion.status).toBe(400);
    expect((await jsonOf<AnthropicErrorShape>(noVersion)).error.message).toBe(
      'anthropic-version: header is required',
    );
    const noMax = await post(messagesUrl(), { model: 'claude-x', messages: [user('hi')] }, headers);
    const body = await jsonOf<AnthropicErrorShape>(noMax);
    expect(noMax.status).toBe(400);
    expect(body).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'max_tokens: Field required' },
    });
    expect(body.request_id).toBe(noMax.headers.get('request-id'));
    const system = await post(
      messagesUrl(),
      { model: 'c', max_tokens: 5, messages: [{ role: 'system', content: 'x' }] },
      headers,
    );
    expect((await jsonOf<AnthropicErrorShape>(system)).error.message).toMatch(
      /^messages: Unexpected role "system"/,
    );
  });

  it('pages the model list and counts tokens', async () => {
    const page = await jsonOf<ModelListShape>(await fetch(`${fake.url}/v1/models?limit=2`, { headers }));
    expect(page.data).toHaveLength(2);
    expect(page).toMatchObject({ has_more: true, first_id: 'claude-sonnet-4-5-20250929' });
    expect(page.data[0]).toMatchObject({
      type: 'model',
      display_name: 'Claude Sonnet 4.5',
      created_at: '2025-09-29T00:00:00Z',
    });
    const next = await jsonOf<ModelListShape>(
      await fetch(`${fake.url}/v1/models?after_id=${page.last_id ?? ''}`, { headers }),
    );
    expect(next).toMatchObject({ has_more: false, data: [{ id: 'claude-opus-4-1-20250805' }] });
    const count = await post(
      `${fake.url}/v1/messages/count_tokens`,
      { model: 'c', messages: [user('one two three')] },
      headers,
    );
    expect(await count.json()).toEqual({ input_tokens: 3 });
  });
});
