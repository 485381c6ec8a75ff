import { setTimeout as sleep } from 'node:timers/promises';
import { AnthropicFake } from '../../../../test/support/fakes/index.js';
import { GatewayError } from '../../../common/errors/gateway-error.js';
import type { ChatRequest, ChatStreamPart } from '../../core/chat.types.js';
import { AnthropicProvider } from './anthropic.provider.js';

const MODEL = 'claude-sonnet-4-5-20250929';
const KEY = 'sk-ant-test';

const MESSAGE_START =
  'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_01X","type":"message","role":"assistant","model":"' +
  MODEL +
  '","content":[],"stop_reason":null,"usage":{"input_tokens":3,"output_tokens":1}}}';

/** A complete 200 SSE response with exactly these events (no terminator unless given). */
function sseBody(events: string[]) {
  return {
    status: 200,
    body: events.map((e) => `${e}\n\n`).join(''),
    headers: { 'content-type': 'text/event-stream' },
  };
}

function chat(overrides: Partial<ChatRequest> = {}): ChatRequest {
  return { model: MODEL, messages: [{ role: 'user', content: 'Say hi' }], ...overrides };
}

function opts(signal: AbortSignal = new AbortController().signal) {
  return { signal };
}

async function drain(
  stream: AsyncIterable<ChatStreamPart>,
): Promise<{ parts: ChatStreamPart[]; error?: unknown }> {
  const parts: ChatStreamPart[] = [];
  try {
    for await (const part of stream) parts.push(part);
    return { parts };
  } catch (error) {
    return { parts, error };
  }
}

function textOf(parts: ChatStreamPart[]): string {
  return parts.map((p) => (p.type === 'text-delta' ? p.text : '')).join('');
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('AnthropicProvider streaming against the Anthropic fake', () => {
  let fake: AnthropicFake;
  let provider: AnthropicProvider;

  beforeAll(async () => {
    // The unknown event after message_start checks that every stream test ignores it.
    fake = await AnthropicFake.start({ apiKey: KEY, unknownEvent: true });
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

  it('streams text: start, deltas, then one finish with usage', async () => {
    fake.setReply({ chunks: ['Hello', ', ', 'world'], usage: { promptTokens: 9, completionTokens: 3 } });
    const { parts, error } = await drain(provider.stream(chat({ maxTokens: 64 }), opts()));
    expect(error).toBeUndefined();
    expect(parts[0]).toMatchObject({ type: 'start', model: MODEL, warnings: [] });
    expect(parts[0]?.type === 'start' && parts[0].id).toMatch(/^msg_/);
    expect(parts[0]?.type === 'start' && parts[0].upstreamRequestId).toMatch(/^req_/);
    expect(textOf(parts)).toBe('Hello, world');
    expect(parts[parts.length - 1]).toEqual({
      type: 'finish',
      finishReason: 'stop',
      usage: { promptTokens: 9, completionTokens: 3, totalTokens: 12 },
    });
    expect(fake.lastRequest?.body).toMatchObject({ stream: true, max_tokens: 64 });
  });

  it('streams tool calls as OpenAI-style deltas indexed among tool blocks only', async () => {
    fake.setReply({
      text: 'Let me check.',
      toolCalls: [
        { id: 'toolu_01A', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
        { id: 'toolu_01B', name: 'get_time', arguments: '' },
      ],
    });
    const { parts, error } = await drain(provider.stream(chat(), opts()));
    expect(error).toBeUndefined();
    expect(textOf(parts)).toBe('Let me check.');
    const deltas = parts.filter((p) => p.type === 'tool-call-delta');
    expect(deltas[0]).toEqual({
      type: 'tool-call-delta',
      index: 0,
      id: 'toolu_01A',
      name: 'get_weather',
      argumentsDelta: '',
    });
    const args = (index: number) =>
      deltas
        .filter((d) => d.index === index)
        .map((d) => d.argumentsDelta)
        .join('');
    expect(JSON.parse(args(0))).toEqual({ city: 'Paris', unit: 'celsius' });
    expect(deltas.filter((d) => d.index === 0).length).toBeGreaterThan(2);
    expect(deltas.find((d) => d.index === 1)).toMatchObject({ id: 'toolu_01B', name: 'get_time' });
    expect(args(1)).toBe('{}');
    expect(parts[parts.length - 1]).toMatchObject({ type: 'finish', finishReason: 'tool_calls' });
  });

  it('parses a stream written in odd-sized pieces with CRLF, pings between events and multi-byte text', async () => {
    fake.setReply({ chunks: ['Café ', '🌍 ', 'naïve ', '日本語'] });
    fake.enqueueFault({ splitAtOddBytes: true, useCrlf: true, keepAliveBetweenChunks: true });
    const { parts, error } = await drain(provider.stream(chat(), opts()));
    expect(error).toBeUndefined();
    expect(textOf(parts)).toBe('Café 🌍 naïve 日本語');
    expect(parts[parts.length - 1]).toMatchObject({ type: 'finish', finishReason: 'stop' });
  });

  it('maps a stream refused before it began (529) like a non-streamed call', async () => {
    fake.enqueueFault({ status: 529 });
    const { parts, error } = await drain(provider.stream(chat(), opts()));
    expect(parts).toEqual([]);
    expect(error).toMatchObject({ code: 'upstream_unavailable', retryable: true });
  });

  it('throws a mid-stream error event after the parts already sent', async () => {
    fake.setReply({ chunks: ['one ', 'two ', 'three'] });
    fake.enqueueFault({ errorAfterChunks: 5 });
    const { parts, error } = await drain(provider.stream(chat(), opts()));
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ code: 'upstream_unavailable', retryable: true });
    expect((error as GatewayError).message).toContain('Overloaded');
    expect(textOf(parts)).toBe('one ');
    expect(parts.some((p) => p.type === 'finish')).toBe(false);
  });

  it('throws when the connection is cut mid-stream, never finishing silently', async () => {
    fake.setReply({ chunks: ['one ', 'two ', 'three'] });
    fake.enqueueFault({ cutAfterChunks: 6 });
    const { parts, error } = await drain(provider.stream(chat(), opts()));
    expect(error).toBeInstanceOf(GatewayError);
    expect(parts.some((p) => p.type === 'finish')).toBe(false);
    expect(textOf(parts)).toBe('one two ');
  });

  it('throws when a complete response ends without message_stop', async () => {
    fake.enqueueFault(
      sseBody([
        MESSAGE_START,
        'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
      ]),
    );
    const { parts, error } = await drain(provider.stream(chat(), opts()));
    expect(error).toMatchObject({ code: 'upstream_error' });
    expect((error as GatewayError).message).toContain('ended before completion');
    expect(parts.map((p) => p.type)).toEqual(['start']);
  });

  it('maps a mid-stream error other than overloaded to a non-retryable upstream_error', async () => {
    fake.enqueueFault(
      sseBody([
        MESSAGE_START,
        'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"Internal server error"}}',
      ]),
    );
    const { error } = await drain(provider.stream(chat(), opts()));
    expect(error).toMatchObject({ code: 'upstream_error', retryable: false });
    expect((error as GatewayError).upstreamRequestId).toMatch(/^req_/);
  });

  it('throws upstream_error on a malformed stream event', async () => {
    fake.enqueueFault({ malformedChunkAt: 4 });
    const { parts, error } = await drain(provider.stream(chat(), opts()));
    expect(error).toMatchObject({ code: 'upstream_error' });
    expect((error as GatewayError).message).toMatch(/malformed/);
    expect(parts.some((p) => p.type === 'finish')).toBe(false);
  });

  it('stops a stream when the signal aborts, and the fake sees the connection close', async () => {
    fake.setReply({ chunks: ['a ', 'b ', 'c ', 'd ', 'e'] });
    fake.enqueueFault({ chunkDelayMs: 300 });
    const controller = new AbortController();
    const reason = new Error('client went away');
    const seen: ChatStreamPart[] = [];
    const consumed = (async () => {
      for await (const part of provider.stream(chat(), opts(controller.signal))) {
        seen.push(part);
        if (part.type === 'start') controller.abort(reason);
      }
    })();
    await expect(consumed).rejects.toBe(reason);
    expect(seen.some((p) => p.type === 'finish')).toBe(false);
    // Well before the fake would have finished writing on its own (about 3 s).
    await until(() => fake.activeRequests === 0, 1000);
  });

  it('closes the upstream response when the consumer stops early', async () => {
    fake.setReply({ chunks: ['a ', 'b ', 'c'] });
    fake.enqueueFault({ chunkDelayMs: 300 });
    for await (const part of provider.stream(chat(), opts())) {
      if (part.type === 'text-delta') break;
    }
    await until(() => fake.activeRequests === 0, 1000);
  });
});
