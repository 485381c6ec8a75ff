import { setTimeout as sleep } from 'node:timers/promises';
import { AnthropicFake, anthropicError } from '../../../../test/support/fakes/index.js';
import { GatewayError } from '../../../common/errors/gateway-error.js';
import type { ChatRequest } from '../../core/chat.types.js';
import { AnthropicProvider } from './anthropic.provider.js';

const MODEL = 'claude-sonnet-4-5-20250929';
const KEY = 'sk-ant-test';

function chat(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return { model: MODEL, messages: [{ role: 'user', content: 'Say hi' }], ...overrides };
}

function opts(signal: AbortSignal = new AbortController().signal) {
  return { signal };
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('AnthropicProvider against the Anthropic fake', () => {
  let fake: AnthropicFake;
  let provider: AnthropicProvider;

  beforeAll(async () => {
    fake = await AnthropicFake.start({ apiKey: KEY, contextWindowTokens: 500 });
    provider = new AnthropicProvider({
      baseUrl: fake.url,
      apiKey: KEY,
      connections: 4,
      defaultMaxTokens: 4096,
    });
  });

  afterEach(() => fake.reset());

  afterAll(async () => {
    await provider.close();
    await fake.stop();
  });

  async function generateError(request = chat(), p: AnthropicProvider = provider): Promise<GatewayError> {
    const error: unknown = await p.generate(request, opts()).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  }

  it('completes a non-streamed request with the right headers, path and max_tokens', async () => {
    fake.setReply({ text: 'Hello there!', usage: { promptTokens: 12, completionTokens: 3 } });
    const result = await provider.generate(chat({ seed: 1 }), opts());
    expect(result).toMatchObject({
      model: MODEL,
      content: 'Hello there!',
      finishReason: 'stop',
      usage: { promptTokens: 12, completionTokens: 3, totalTokens: 15 },
    });
    expect(result.id).toMatch(/^msg_/);
    expect(result.upstreamRequestId).toMatch(/^req_/);
    expect(result.warnings).toEqual([expect.stringContaining('seed')]);
    const sent = fake.lastRequest;
    expect(sent?.pathname).toBe('/v1/messages');
    expect(sent?.headers).toMatchObject({
      'x-api-key': KEY,
      'anthropic-version': '2023-06-01',
      'content-type': 'application/json',
    });
    expect(sent?.body).toMatchObject({ model: MODEL, max_tokens: 4096 });
    expect(sent?.body).not.toHaveProperty('stream');
  });

  it('hoists system prompts to the top-level system field of the request it sends', async () => {
    await provider.generate(
      chat({
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'user', content: 'Hi' },
          { role: 'developer', content: 'No emoji.' },
          { role: 'user', content: 'Again' },
        ],
      }),
      opts(),
    );
    const body = fake.lastRequest?.body;
    expect(body?.system).toBe('You are terse.\n\nNo emoji.');
    expect(body?.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Hi' },
          { type: 'text', text: 'Again' },
        ],
      },
    ]);
  });

  it('returns non-streamed tool calls with JSON-string arguments', async () => {
    fake.setReply({ toolCalls: [{ id: 'toolu_01A', name: 'get_weather', arguments: '{"city":"Paris"}' }] });
    const result = await provider.generate(chat(), opts());
    expect(result.finishReason).toBe('tool_calls');
    expect(result.content).toBeNull();
    expect(result.toolCalls).toEqual([
      { id: 'toolu_01A', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
    ]);
  });

  it('lists models from data[].id', async () => {
    const models = await provider.listModels(opts());
    expect(models.map((m) => m.id)).toEqual(fake.models);
    expect(models[0]?.created).toBe(Date.parse('2025-09-29T00:00:00Z') / 1000);
    expect(fake.lastRequest?.pathname).toBe('/v1/models');
  });

  it('has no embed method', () => {
    expect(provider.embed).toBeUndefined();
  });

  it('maps 429 with retry-after to a retryable rate_limit_exceeded', async () => {
    fake.enqueueFault(anthropicError(429, { retryAfter: '7' }));
    const error = await generateError();
    expect(error).toMatchObject({
      code: 'rate_limit_exceeded',
      retryable: true,
      retryAfterMs: 7000,
      upstreamStatus: 429,
    });
    expect(error.upstreamRequestId).toMatch(/^req_/);
  });

  it('maps 529 overloaded to a retryable upstream_unavailable', async () => {
    fake.enqueueFault({ status: 529 });
    await expect(generateError()).resolves.toMatchObject({ code: 'upstream_unavailable', retryable: true });
  });

  it('maps 401 (a wrong x-api-key) to upstream_error, not to a client auth error', async () => {
    const wrong = new AnthropicProvider({
      baseUrl: fake.url,
      apiKey: 'sk-ant-wrong',
      connections: 1,
      defaultMaxTokens: 16,
    });
    try {
      await expect(generateError(chat(), wrong)).resolves.toMatchObject({
        code: 'upstream_error',
        upstreamStatus: 401,
        retryable: false,
      });
    } finally {
      await wrong.close();
    }
  });

  it('maps a prompt-too-long 400 to context_length_exceeded', async () => {
    const long = Array.from({ length: 600 }, (_, i) => `word${i}`).join(' ');
    const error = await generateError(chat({ messages: [{ role: 'user', content: long }] }));
    expect(error).toMatchObject({
      code: 'context_length_exceeded',
      param: 'messages',
      upstreamStatus: 400,
    });
  });

  it('aborts a non-streamed call whose body never arrives', async () => {
    fake.enqueueFault({ hangAfterHeaders: true });
    const controller = new AbortController();
    const reason = new Error('deadline');
    const pending = provider.generate(chat(), opts(controller.signal));
    await until(() => fake.activeRequests === 1);
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await until(() => fake.activeRequests === 0);
  });
});
