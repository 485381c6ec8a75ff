import { GatewayError } from '../../../common/errors/gateway-error.js';
import type { ChatRequest, ToolDefinition } from '../../core/chat.types.js';
import {
  fromAnthropicMessage,
  readAnthropicError,
  toAnthropicBody,
  toFinishReason,
} from './anthropic.mapper.js';
import type { AnthropicMessageResponse } from './anthropic.wire.js';

const weather: ToolDefinition = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

function req(overrides: Partial<ChatRequest>): ChatRequest {
  return { model: 'claude-haiku-4-5', messages: [{ role: 'user', content: 'Hi' }], ...overrides };
}

function thrown(fn: () => unknown): GatewayError {
  try {
    fn();
  } catch (err) {
    if (err instanceof GatewayError) return err;
    throw err;
  }
  throw new Error('expected a GatewayError');
}

describe('toAnthropicBody', () => {
  it('always sends max_tokens: the request value, else the configured default', () => {
    expect(toAnthropicBody(req({}), false, 4096).body.max_tokens).toBe(4096);
    expect(toAnthropicBody(req({ maxTokens: 50 }), false, 4096).body.max_tokens).toBe(50);
  });

  it('hoists system and developer messages into the top-level system prompt', () => {
    const { body } = toAnthropicBody(
      req({
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
          { role: 'user', content: 'Hi' },
          { role: 'system', content: 'Never apologise.' },
        ],
      }),
      false,
      1024,
    );
    expect(body.system).toBe('You are terse.\n\nAnswer in French.\n\nNever apologise.');
    expect(body.messages).toEqual([{ role: 'user', content: 'Hi' }]);
  });

  it('passes sampling settings, stop sequences, user id and the stream flag', () => {
    const { body, warnings } = toAnthropicBody(
      req({ temperature: 0.2, topP: 0.9, stop: ['END'], user: 'u-1' }),
      true,
      1024,
    );
    expect(body).toMatchObject({
      temperature: 0.2,
      top_p: 0.9,
      stop_sequences: ['END'],
      metadata: { user_id: 'u-1' },
      stream: true,
    });
    expect(warnings).toEqual([]);
  });

  it('turns unsupported settings into warnings rather than errors', () => {
    const { body, warnings } = toAnthropicBody(
      req({
        seed: 7,
        responseFormat: { type: 'json_object' },
        presencePenalty: 0.5,
        frequencyPenalty: 0.5,
      }),
      false,
      1024,
    );
    expect(warnings).toHaveLength(4);
    expect(warnings.join(' ')).toMatch(/seed.*response_format.*presence_penalty.*frequency_penalty/);
    expect(body).not.toHaveProperty('seed');
    expect(body).not.toHaveProperty('response_format');
    expect(toAnthropicBody(req({ responseFormat: { type: 'text' } }), false, 1).warnings).toEqual([]);
  });

  it('maps tools to input_schema and every tool_choice form', () => {
    const mapped = (toolChoice: ChatRequest['toolChoice'], parallelToolCalls?: boolean) =>
      toAnthropicBody(req({ tools: [weather], toolChoice, parallelToolCalls }), false, 1).body;
    expect(mapped(undefined).tools).toEqual([
      { name: 'get_weather', description: 'Current weather', input_schema: weather.function.parameters },
    ]);
    expect(mapped(undefined).tool_choice).toBeUndefined();
    expect(mapped('auto').tool_choice).toEqual({ type: 'auto' });
    expect(mapped('none').tool_choice).toEqual({ type: 'none' });
    expect(mapped('required').tool_choice).toEqual({ type: 'any' });
    expect(mapped({ type: 'function', function: { name: 'get_weather' } }).tool_choice).toEqual({
      type: 'tool',
      name: 'get_weather',
    });
    expect(mapped(undefined, false).tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    const bare = toAnthropicBody(req({ tools: [{ type: 'function', function: { name: 'now' } }] }), false, 1);
    expect(bare.body.tools?.[0]).toEqual({ name: 'now', input_schema: { type: 'object', properties: {} } });
  });

  it('round-trips a tool conversation: tool_use blocks out, tool_result user turns back, merged', () => {
    const { body } = toAnthropicBody(
      req({
        tools: [weather],
        messages: [
          { role: 'user', content: 'Weather in Paris and Rome?' },
          {
            role: 'assistant',
            content: 'Checking.',
            tool_calls: [
              {
                id: 'toolu_1',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
              },
              {
                id: 'toolu_2',
                type: 'function',
                function: { name: 'get_weather', arguments: '{"city":"Rome"}' },
              },
            ],
          },
          { role: 'tool', tool_call_id: 'toolu_1', content: '15 C' },
          { role: 'tool', tool_call_id: 'toolu_2', content: [{ type: 'text', text: '22 C' }] },
          { role: 'user', content: 'Which is warmer?' },
        ],
      }),
      false,
      1,
    );
    expect(body.messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: '15 C' },
          { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: '22 C' }] },
          { type: 'text', text: 'Which is warmer?' },
        ],
      },
    ]);

    const result = fromAnthropicMessage(
      {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: 'claude-haiku-4-5-20251001',
        content: body.messages[1]?.content as AnthropicMessageResponse['content'],
        stop_reason: 'tool_use',
        usage: { input_tokens: 10, output_tokens: 5 },
      },
      'req_1',
      [],
    );
    expect(
      result.toolCalls?.map((c) => ({
        id: c.id,
        name: c.function.name,
        args: JSON.parse(c.function.arguments) as unknown,
      })),
    ).toEqual([
      { id: 'toolu_1', name: 'get_weather', args: { city: 'Paris' } },
      { id: 'toolu_2', name: 'get_weather', args: { city: 'Rome' } },
    ]);
    expect(result.finishReason).toBe('tool_calls');
  });

  it('merges consecutive same-role messages so turns alternate', () => {
    const { body } = toAnthropicBody(
      req({
        messages: [
          { role: 'user', content: 'one' },
          { role: 'user', content: 'two' },
          { role: 'assistant', content: 'a' },
          { role: 'assistant', content: null },
          { role: 'assistant', content: 'b' },
        ],
      }),
      false,
      1,
    );
    expect(body.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(body.messages[0]?.content).toEqual([
      { type: 'text', text: 'one' },
      { type: 'text', text: 'two' },
    ]);
  });

  it('maps images: data URLs to base64 sources, http URLs to url sources', () => {
    const { body } = toAnthropicBody(
      req({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Compare' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
            ],
          },
        ],
      }),
      false,
      1,
    );
    expect(body.messages[0]?.content).toEqual([
      { type: 'text', text: 'Compare' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
    ]);
  });

  it('rejects invalid tool-call JSON and unusable image URLs with the offending param', () => {
    const badArgs = thrown(() =>
      toAnthropicBody(
        req({
          messages: [
            { role: 'user', content: 'x' },
            {
              role: 'assistant',
              content: null,
              tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{"a":' } }],
            },
          ],
        }),
        false,
        1,
      ),
    );
    expect(badArgs.code).toBe('invalid_request_error');
    expect(badArgs.param).toBe('messages[1].tool_calls[0].function.arguments');

    const badImage = thrown(() =>
      toAnthropicBody(
        req({
          messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }] }],
        }),
        false,
        1,
      ),
    );
    expect(badImage).toMatchObject({
      code: 'invalid_request_error',
      param: 'messages[0].content[0].image_url.url',
    });
  });
});

describe('Anthropic responses', () => {
  const message: AnthropicMessageResponse = {
    id: 'msg_01',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5-20250929',
    content: [
      { type: 'text', text: 'Hello' },
      { type: 'text', text: ' there' },
    ],
    stop_reason: 'end_turn',
    usage: {
      input_tokens: 12,
      cache_creation_input_tokens: 3,
      cache_read_input_tokens: 100,
      output_tokens: 5,
    },
  };

  it('concatenates text, counts cached input in prompt tokens and keeps the request id and warnings', () => {
    expect(fromAnthropicMessage(message, 'req_9', ['w'])).toMatchObject({
      id: 'msg_01',
      model: 'claude-sonnet-4-5-20250929',
      content: 'Hello there',
      finishReason: 'stop',
      usage: { promptTokens: 115, completionTokens: 5, totalTokens: 120 },
      upstreamRequestId: 'req_9',
      warnings: ['w'],
    });
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    ['pause_turn', 'stop'],
    ['something_new', 'stop'],
    [null, 'stop'],
  ])('maps stop_reason %s to %s', (reason, expected) => {
    expect(toFinishReason(reason)).toBe(expected);
  });

  it('reads the Anthropic error envelope and tolerates other bodies', () => {
    expect(
      readAnthropicError({
        type: 'error',
        error: { type: 'overloaded_error', message: 'Overloaded' },
        request_id: 'req_1',
      }),
    ).toEqual({ type: 'overloaded_error', message: 'Overloaded' });
    expect(readAnthropicError('Bad Gateway')).toEqual({});
    expect(readAnthropicError(null)).toEqual({});
  });
});
