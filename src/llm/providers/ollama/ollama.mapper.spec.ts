import { GatewayError } from '../../../common/errors/gateway-error.js';
import type { ChatRequest } from '../../core/chat.types.js';
import { fromOllamaChat, readOllamaError, toOllamaBody } from './ollama.mapper.js';

const base: ChatRequest = { model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }] };

describe('toOllamaBody', () => {
  it('sends the model as given, stream explicitly, and no keep_alive', () => {
    expect(toOllamaBody(base, false)).toEqual({
      body: { model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }], stream: false },
      warnings: [],
    });
    const { body } = toOllamaBody(base, true);
    expect(body.stream).toBe(true);
    expect(body).not.toHaveProperty('keep_alive');
  });

  it('maps sampling settings into options', () => {
    const { body } = toOllamaBody(
      { ...base, temperature: 0.2, topP: 0.9, maxTokens: 64, stop: ['\n\n'], seed: 7 },
      false,
    );
    expect(body.options).toEqual({ temperature: 0.2, top_p: 0.9, num_predict: 64, stop: ['\n\n'], seed: 7 });
  });

  it('joins text parts, moves data: URL images to base64 `images`, and maps developer to system', () => {
    const { body } = toOllamaBody(
      {
        model: 'llava',
        messages: [
          { role: 'developer', content: 'be terse' },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'what is' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
              { type: 'text', text: 'this?' },
            ],
          },
        ],
      },
      false,
    );
    expect(body.messages).toEqual([
      { role: 'system', content: 'be terse' },
      { role: 'user', content: 'what is\nthis?', images: ['iVBORw0KGgo='] },
    ]);
  });

  it('rejects images that are not base64 data: URLs', () => {
    const req: ChatRequest = {
      model: 'llava',
      messages: [
        { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] },
      ],
    };
    expect(() => toOllamaBody(req, false)).toThrow(GatewayError);
  });

  it('turns assistant tool calls into objects and tool results into tool_name messages', () => {
    const { body } = toOllamaBody(
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
          { role: 'tool', tool_call_id: 'unknown', content: 'x' },
        ],
      },
      false,
    );
    expect(body.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: '',
        tool_calls: [
          { id: 'call_1', function: { index: 0, name: 'get_weather', arguments: { city: 'Paris' } } },
        ],
      },
      { role: 'tool', content: '15 C', tool_name: 'get_weather' },
      { role: 'tool', content: 'x' },
    ]);
  });

  it.each(['{"city":', '[1,2]', '"text"'])('rejects tool arguments %s as invalid_request_error', (args) => {
    const req: ChatRequest = {
      model: 'llama3.2',
      messages: [
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: args } }],
        },
      ],
    };
    let caught: unknown;
    try {
      toOllamaBody(req, false);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(GatewayError);
    expect((caught as GatewayError).code).toBe('invalid_request_error');
    expect((caught as GatewayError).param).toBe('messages[0].tool_calls[0].function.arguments');
  });

  it('passes tools in OpenAI shape and maps response formats', () => {
    const tools = [{ type: 'function' as const, function: { name: 'f', parameters: { type: 'object' } } }];
    expect(toOllamaBody({ ...base, tools, toolChoice: 'auto' }, false).body.tools).toEqual(tools);
    expect(toOllamaBody({ ...base, tools, toolChoice: 'none' }, false).body.tools).toBeUndefined();
    expect(toOllamaBody({ ...base, responseFormat: { type: 'json_object' } }, false).body.format).toBe(
      'json',
    );
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    const withSchema = toOllamaBody(
      { ...base, responseFormat: { type: 'json_schema', json_schema: { name: 's', schema } } },
      false,
    );
    expect(withSchema.body.format).toEqual(schema);
    expect(toOllamaBody({ ...base, responseFormat: { type: 'text' } }, false).body.format).toBeUndefined();
  });

  it('lists unsupported settings as warnings instead of failing', () => {
    const { body, warnings } = toOllamaBody(
      {
        ...base,
        presencePenalty: 0.5,
        frequencyPenalty: 0.5,
        toolChoice: 'required',
        parallelToolCalls: false,
      },
      false,
    );
    expect(warnings).toHaveLength(4);
    expect(warnings.join(' ')).toMatch(
      /presence_penalty.*frequency_penalty.*tool_choice.*parallel_tool_calls/,
    );
    expect(body).not.toHaveProperty('presence_penalty');
    expect(body.options).toBeUndefined();
  });
});

describe('fromOllamaChat', () => {
  it('maps text, usage and done_reason', () => {
    const result = fromOllamaChat(
      {
        model: 'llama3.2',
        created_at: '2023-12-12T14:13:43.416799Z',
        message: { role: 'assistant', content: 'Hello!' },
        done_reason: 'length',
        done: true,
        prompt_eval_count: 26,
        eval_count: 298,
      },
      'llama3.2',
      ['w'],
    );
    expect(result).toMatchObject({
      model: 'llama3.2',
      created: 1702390423,
      content: 'Hello!',
      finishReason: 'length',
      usage: { promptTokens: 26, completionTokens: 298, totalTokens: 324 },
      warnings: ['w'],
    });
    expect(result.id).toMatch(/^chatcmpl-ollama-[a-z0-9]+$/);
    expect(result.toolCalls).toBeUndefined();
  });

  it('maps tool calls to OpenAI shape with ids and string arguments, and defaults missing counts to 0', () => {
    const result = fromOllamaChat(
      {
        message: {
          role: 'assistant',
          content: '',
          tool_calls: [
            { function: { name: 'get_weather', arguments: { city: 'Paris' } } },
            { id: 'call_x', function: { name: 'g', arguments: {} } },
          ],
        },
        done_reason: 'stop',
        done: true,
      },
      'llama3.2',
      [],
    );
    expect(result.finishReason).toBe('tool_calls');
    expect(result.content).toBeNull();
    expect(result.model).toBe('llama3.2');
    expect(result.usage).toEqual({ promptTokens: 0, completionTokens: 0, totalTokens: 0 });
    expect(result.toolCalls).toEqual([
      {
        id: expect.stringMatching(/^call_[a-z0-9]{8}$/),
        type: 'function',
        function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
      },
      { id: 'call_x', type: 'function', function: { name: 'g', arguments: '{}' } },
    ]);
  });

  it('reads the {"error": "..."} body', () => {
    expect(readOllamaError({ error: "model 'x' not found" })).toEqual({ message: "model 'x' not found" });
    expect(readOllamaError({ error: { message: 'nested' } })).toEqual({});
    expect(readOllamaError(undefined)).toEqual({});
  });
});
