import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { OllamaFake } from '../../../../test/support/fakes/index.js';
import { GatewayError } from '../../../common/errors/gateway-error.js';
import type { ChatRequest, ChatStreamPart } from '../../core/chat.types.js';
import { OllamaProvider } from './index.js';

const chat: ChatRequest = {
  model: 'llama3.2',
  messages: [{ role: 'user', content: 'why is the sky blue?' }],
};

function opts(signal = new AbortController().signal): { signal: AbortSignal } {
  return { signal };
}

async function collect(parts: AsyncIterable<ChatStreamPart>): Promise<ChatStreamPart[]> {
  const out: ChatStreamPart[] = [];
  for await (const p of parts) out.push(p);
  return out;
}

function textOf(parts: ChatStreamPart[]): string {
  return parts.map((p) => (p.type === 'text-delta' ? p.text : '')).join('');
}

async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('OllamaProvider against a fake Ollama server', () => {
  let fake: OllamaFake;
  let provider: OllamaProvider;

  beforeAll(async () => {
    fake = await OllamaFake.start({ rejectUnknownModels: true });
    provider = new OllamaProvider({ baseUrl: fake.url, connections: 4 });
  });

  afterAll(async () => {
    await provider.close();
    await fake.stop();
  });

  beforeEach(() => fake.reset());

  it('generates without streaming, sending the model as requested', async () => {
    fake.setReply({ text: 'Rayleigh scattering.', usage: { promptTokens: 26, completionTokens: 3 } });
    const result = await provider.generate(
      { ...chat, maxTokens: 50, temperature: 0.1, presencePenalty: 1 },
      opts(),
    );
    expect(result).toMatchObject({
      model: 'llama3.2',
      content: 'Rayleigh scattering.',
      finishReason: 'stop',
      usage: { promptTokens: 26, completionTokens: 3, totalTokens: 29 },
    });
    expect(result.warnings).toHaveLength(1);
    const sent = fake.lastRequest;
    expect(sent?.pathname).toBe('/api/chat');
    expect(sent?.body).toMatchObject({
      model: 'llama3.2',
      stream: false,
      options: { num_predict: 50, temperature: 0.1 },
    });
    expect(sent?.body).not.toHaveProperty('keep_alive');
  });

  it('streams NDJSON text into start, deltas and a finish with usage', async () => {
    fake.setReply({ chunks: ['The', ' sky', ' is blue'], usage: { promptTokens: 7, completionTokens: 3 } });
    const parts = await collect(provider.stream(chat, opts()));
    expect(parts[0]).toMatchObject({
      type: 'start',
      model: 'llama3.2',
      id: expect.stringMatching(/^chatcmpl-ollama-/),
    });
    expect(parts.filter((p) => p.type === 'text-delta')).toHaveLength(3);
    expect(textOf(parts)).toBe('The sky is blue');
    expect(parts[parts.length - 1]).toEqual({
      type: 'finish',
      finishReason: 'stop',
      usage: { promptTokens: 7, completionTokens: 3, totalTokens: 10 },
    });
    expect(fake.lastRequest?.body).toMatchObject({ stream: true });
  });

  it('reports length when num_predict cut the answer', async () => {
    fake.setReply({ text: 'one two three four', finishReason: 'length' });
    const parts = await collect(provider.stream({ ...chat, maxTokens: 2 }, opts()));
    expect(parts[parts.length - 1]).toMatchObject({ type: 'finish', finishReason: 'length' });
  });

  it('returns tool calls without streaming', async () => {
    fake.setReply({ toolCalls: [{ name: 'get_weather', arguments: '{"city":"Paris"}' }] });
    const tools = [
      { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object' } } },
    ];
    const result = await provider.generate({ ...chat, tools }, opts());
    expect(result.finishReason).toBe('tool_calls');
    expect(result.toolCalls).toEqual([
      {
        id: expect.stringMatching(/^call_/),
        type: 'function',
        function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
      },
    ]);
    expect(fake.lastRequest?.body?.tools).toEqual(tools);
  });

  it('streams each tool call whole in one delta', async () => {
    fake.setReply({
      toolCalls: [
        { name: 'get_weather', arguments: '{"city":"Paris"}' },
        { name: 'get_time', arguments: '{"tz":"CET"}' },
      ],
    });
    const parts = await collect(provider.stream(chat, opts()));
    expect(parts.filter((p) => p.type === 'tool-call-delta')).toEqual([
      {
        type: 'tool-call-delta',
        index: 0,
        id: expect.stringMatching(/^call_/),
        name: 'get_weather',
        argumentsDelta: '{"city":"Paris"}',
      },
      {
        type: 'tool-call-delta',
        index: 1,
        id: expect.stringMatching(/^call_/),
        name: 'get_time',
        argumentsDelta: '{"tz":"CET"}',
      },
    ]);
    expect(parts[parts.length - 1]).toMatchObject({ type: 'finish', finishReason: 'tool_calls' });
  });

  it('sends tool results back with tool_name', async () => {
    await provider.generate(
      {
        model: 'llama3.2',
        messages: [
          { role: 'user', content: 'weather?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              {
                id: 'call_1',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
              },
            ],
          },
          { role: 'tool', tool_call_id: 'call_1', content: '15 C' },
        ],
      },
      opts(),
    );
    expect(fake.lastRequest?.body?.messages).toEqual([
      { role: 'user', content: 'weather?' },
      {
        role: 'assistant',
        content: '',
        tool_calls: [
          { id: 'call_1', function: { index: 0, name: 'get_weather', arguments: { city: 'Paris' } } },
        ],
      },
      { role: 'tool', content: '15 C', tool_name: 'get_weather' },
    ]);
  });

  it('embeds a batch through /api/embed', async () => {
    const result = await provider.embed({ model: 'all-minilm', input: ['a cat', 'a dog'] }, opts());
    expect(result.vectors).toHaveLength(2);
    expect(result.vectors[0]).toHaveLength(384);
    expect(result.promptTokens).toBeGreaterThan(0);
    expect(result.model).toBe('all-minilm');
    expect(fake.lastRequest?.body).toEqual({ model: 'all-minilm', input: ['a cat', 'a dog'] });
  });

  it('lists tagged model names from /api/tags', async () => {
    const models = await provider.listModels(opts());
    expect(models.map((m) => m.id)).toEqual(fake.models);
    expect(models.map((m) => m.id)).toContain('llama3.2:latest');
    expect(models[0]?.created).toEqual(expect.any(Number));
  });

  it('maps 404 for an unknown model to model_not_found', async () => {
    const err = await rejection(provider.generate({ ...chat, model: 'llama9' }, opts()));
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code: 'model_not_found', retryable: false, upstreamStatus: 404 });
    expect((err as GatewayError).message).toContain("model 'llama9' not found");
    await expect(collect(provider.stream({ ...chat, model: 'llama9' }, opts()))).rejects.toMatchObject({
      code: 'model_not_found',
    });
  });

  it('maps 500 to a retryable upstream_error and 503 to upstream_unavailable', async () => {
    fake.enqueueFault({ status: 500 });
    await expect(provider.generate(chat, opts())).rejects.toMatchObject({
      code: 'upstream_error',
      retryable: true,
      upstreamStatus: 500,
    });
    fake.enqueueFault({ status: 503 });
    await expect(collect(provider.stream(chat, opts()))).rejects.toMatchObject({
      code: 'upstream_unavailable',
      retryable: true,
    });
  });

  it('maps a refused connection to upstream_unavailable', async () => {
    const offline = new OllamaProvider({ baseUrl: await closedPortUrl(), connections: 1 });
    try {
      await expect(offline.generate(chat, opts())).rejects.toMatchObject({
        code: 'upstream_unavailable',
        retryable: true,
      });
      await expect(collect(offline.stream(chat, opts()))).rejects.toMatchObject({
        code: 'upstream_unavailable',
      });
      await expect(offline.listModels(opts())).rejects.toMatchObject({ code: 'upstream_unavailable' });
    } finally {
      await offline.close();
    }
  });

  it('throws when the stream is cut mid-way, never finishing silently', async () => {
    fake.setReply({ chunks: ['a', ' b', ' c', ' d'] });
    fake.enqueueFault({ cutAfterChunks: 2 });
    const seen: ChatStreamPart[] = [];
    const read = async (): Promise<void> => {
      for await (const p of provider.stream(chat, opts())) seen.push(p);
    };
    await expect(read()).rejects.toBeInstanceOf(GatewayError);
    expect(seen.some((p) => p.type === 'finish')).toBe(false);
  });

  it('throws on a mid-stream {"error"} line', async () => {
    fake.setReply({ chunks: ['a', ' b', ' c'] });
    fake.enqueueFault({ errorAfterChunks: 1 });
    await expect(collect(provider.stream(chat, opts()))).rejects.toMatchObject({
      code: 'upstream_error',
      message: expect.stringContaining('an error was encountered while running the model'),
    });
  });

  it('throws upstream_error on a malformed line', async () => {
    fake.setReply({ chunks: ['a', ' b', ' c'] });
    fake.enqueueFault({ malformedChunkAt: 1 });
    const err = await rejection(collect(provider.stream(chat, opts())));
    expect(err).toBeInstanceOf(GatewayError);
    expect(err).toMatchObject({ code: 'upstream_error', provider: 'ollama' });
  });

  it.each([
    ['odd byte boundaries', { splitAtOddBytes: true }],
    ['single bytes with CRLF', { bytewise: true, useCrlf: true }],
    ['one coalesced write', { coalesce: true }],
  ])('parses lines delivered in %s', async (_label, fault) => {
    fake.setReply({ chunks: ['Café', ' 🌍', ' naïve'] });
    fake.enqueueFault(fault);
    const parts = await collect(provider.stream(chat, opts()));
    expect(textOf(parts)).toBe('Café 🌍 naïve');
    expect(parts[parts.length - 1]).toMatchObject({ type: 'finish', finishReason: 'stop' });
  });

  it('stops the request when the signal aborts before the headers', async () => {
    fake.enqueueFault({ delayBeforeHeadersMs: 30_000 });
    const controller = new AbortController();
    const pending = provider.generate(chat, opts(controller.signal));
    setTimeout(() => controller.abort(new Error('client went away')), 50);
    const err = await rejection(pending);
    expect(err).not.toBeInstanceOf(GatewayError);
    expect((err as Error).message).toBe('client went away');
  });

  it('stops reading mid-stream when the signal aborts', async () => {
    fake.setReply({ chunks: ['a', ' b', ' c', ' d', ' e'] });
    fake.enqueueFault({ chunkDelayMs: 200 });
    const controller = new AbortController();
    const seen: ChatStreamPart[] = [];
    const read = async (): Promise<void> => {
      for await (const p of provider.stream(chat, opts(controller.signal))) {
        seen.push(p);
        if (p.type === 'text-delta') controller.abort();
      }
    };
    const started = Date.now();
    const err = await rejection(read());
    expect(err).not.toBeInstanceOf(GatewayError);
    expect(Date.now() - started).toBeLessThan(800);
    expect(seen.some((p) => p.type === 'finish')).toBe(false);
    for (let i = 0; i < 50 && fake.activeRequests > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(fake.activeRequests).toBe(0);
  });

  it('releases the upstream response when the consumer stops early', async () => {
    fake.setReply({ chunks: ['a', ' b', ' c', ' d', ' e'] });
    fake.enqueueFault({ chunkDelayMs: 200 });
    for await (const p of provider.stream(chat, opts())) {
      if (p.type === 'text-delta') break;
    }
    for (let i = 0; i < 50 && fake.activeRequests > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(fake.activeRequests).toBe(0);
  });
});
