import { GatewayError } from '../../../common/errors/gateway-error.js';
import type { ChatStreamPart } from '../../core/chat.types.js';
import { ollamaObjects, ollamaStreamParts } from './ollama-stream.js';
import type { OllamaChatResponse } from './ollama.wire.js';

async function collect(parts: AsyncIterable<ChatStreamPart>): Promise<ChatStreamPart[]> {
  const out: ChatStreamPart[] = [];
  for await (const p of parts) out.push(p);
  return out;
}

async function* objects(...items: OllamaChatResponse[]): AsyncGenerator<OllamaChatResponse> {
  for (const item of items) yield item;
}

async function* bytes(...pieces: string[]): AsyncGenerator<Uint8Array> {
  for (const piece of pieces) yield Buffer.from(piece, 'utf8');
}

describe('ollamaStreamParts', () => {
  it('emits start, text deltas, whole tool calls and a finish with usage', async () => {
    const parts = await collect(
      ollamaStreamParts(
        objects(
          { model: 'llama3.2', message: { role: 'assistant', content: 'Hel' }, done: false },
          { model: 'llama3.2', message: { role: 'assistant', content: 'lo' }, done: false },
          {
            model: 'llama3.2',
            message: {
              role: 'assistant',
              content: '',
              tool_calls: [{ id: 'call_a', function: { name: 'f', arguments: { x: 1 } } }],
            },
            done: false,
          },
          {
            model: 'llama3.2',
            message: { role: 'assistant', content: '' },
            done: true,
            done_reason: 'stop',
            prompt_eval_count: 3,
            eval_count: 4,
          },
        ),
        'ollama',
        ['w'],
      ),
    );
    expect(parts).toEqual([
      { type: 'start', id: expect.stringMatching(/^chatcmpl-ollama-/), model: 'llama3.2', warnings: ['w'] },
      { type: 'text-delta', text: 'Hel' },
      { type: 'text-delta', text: 'lo' },
      { type: 'tool-call-delta', index: 0, id: 'call_a', name: 'f', argumentsDelta: '{"x":1}' },
      {
        type: 'finish',
        finishReason: 'tool_calls',
        usage: { promptTokens: 3, completionTokens: 4, totalTokens: 7 },
      },
    ]);
  });

  it('throws on a mid-stream error line', async () => {
    const parts = ollamaStreamParts(
      objects({ model: 'm', message: { content: 'a' }, done: false }, { error: 'boom' }),
      'ollama',
      [],
    );
    await expect(collect(parts)).rejects.toMatchObject({
      code: 'upstream_error',
      message: expect.stringContaining('boom'),
    });
  });

  it('throws when the input ends without a done object', async () => {
    const parts = ollamaStreamParts(
      objects({ model: 'm', message: { content: 'a' }, done: false }),
      'ollama',
      [],
    );
    await expect(collect(parts)).rejects.toMatchObject({
      code: 'upstream_error',
      message: expect.stringContaining('ended before completion'),
    });
    await expect(collect(ollamaStreamParts(objects(), 'ollama', []))).rejects.toBeInstanceOf(GatewayError);
  });
});

describe('ollamaObjects', () => {
  it('parses lines split anywhere, including inside a UTF-8 character', async () => {
    const text = '{"message":{"content":"é🌍"},"done":false}\r\n{"done":true}';
    const raw = Buffer.from(text, 'utf8');
    const pieces: Uint8Array[] = [];
    for (let i = 0; i < raw.length; i += 3) pieces.push(raw.subarray(i, i + 3));
    const out: OllamaChatResponse[] = [];
    for await (const o of ollamaObjects(
      (async function* () {
        yield* pieces;
      })(),
      'ollama',
    ))
      out.push(o);
    expect(out).toEqual([{ message: { content: 'é🌍' }, done: false }, { done: true }]);
  });

  it.each(['{"done":\n', '42\n'])('turns a malformed line %j into upstream_error', async (line) => {
    const read = async (): Promise<void> => {
      for await (const _ of ollamaObjects(bytes('{"done":false}\n', line), 'ollama')) {
        // drain
      }
    };
    await expect(read()).rejects.toMatchObject({ name: 'GatewayError', code: 'upstream_error' });
  });
});
