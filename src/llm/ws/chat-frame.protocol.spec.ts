import { GatewayError } from '../../common/errors/gateway-error.js';
import {
  deltaFrame,
  doneFrame,
  errorFrame,
  MAX_REQUEST_ID_LENGTH,
  parseClientFrame,
  toolCallFrame,
} from './chat-frame.protocol.js';

const BODY = { model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] };

function failure(text: string): { id: string | null; code: string; param?: string; message: string } {
  const parsed = parseClientFrame(text);
  if (parsed.ok) throw new Error(`expected a failure for ${text}`);
  return { id: parsed.id, code: parsed.error.code, param: parsed.error.param, message: parsed.error.message };
}

describe('parseClientFrame', () => {
  it('accepts a chat.request with a valid body, dropping unknown body fields', () => {
    const parsed = parseClientFrame(
      JSON.stringify({ type: 'chat.request', id: 'c1', body: { ...BODY, extra: 1 } }),
    );
    expect(parsed).toEqual({ ok: true, frame: { type: 'chat.request', id: 'c1', body: BODY } });
  });

  it('accepts a chat.cancel', () => {
    expect(parseClientFrame('{"type":"chat.cancel","id":"c1"}')).toEqual({
      ok: true,
      frame: { type: 'chat.cancel', id: 'c1' },
    });
  });

  it('reports invalid JSON and non-objects with id null', () => {
    expect(failure('{"type":')).toMatchObject({
      id: null,
      code: 'invalid_request_error',
      message: expect.stringMatching(/JSON/),
    });
    expect(failure('[]')).toMatchObject({ id: null, code: 'invalid_request_error' });
    expect(failure('"chat.request"')).toMatchObject({ id: null });
    expect(failure('null')).toMatchObject({ id: null });
  });

  it('names the id of a frame whose type is unknown, when the id is usable', () => {
    expect(failure('{"type":"chat.nope","id":"c9"}')).toMatchObject({ id: 'c9', param: 'type' });
    expect(failure('{"id":"c9"}')).toMatchObject({ id: 'c9', param: 'type' });
    expect(failure('{"type":7,"id":7}')).toMatchObject({ id: null, param: 'type' });
  });

  it('requires an id of 1 to MAX_REQUEST_ID_LENGTH characters', () => {
    const tooLong = 'i'.repeat(MAX_REQUEST_ID_LENGTH + 1);
    for (const id of [undefined, '', 12, tooLong]) {
      expect(failure(JSON.stringify({ type: 'chat.request', id, body: BODY }))).toMatchObject({
        id: null,
        param: 'id',
      });
    }
    expect(
      parseClientFrame(JSON.stringify({ type: 'chat.cancel', id: 'i'.repeat(MAX_REQUEST_ID_LENGTH) })).ok,
    ).toBe(true);
  });

  it('validates the body as REST does, reporting the field and the id', () => {
    expect(failure('{"type":"chat.request","id":"a"}')).toMatchObject({ id: 'a', param: 'body' });
    expect(failure('{"type":"chat.request","id":"a","body":[]}')).toMatchObject({ id: 'a', param: 'body' });
    expect(failure(JSON.stringify({ type: 'chat.request', id: 'a', body: { model: 'm' } }))).toMatchObject({
      id: 'a',
      code: 'invalid_request_error',
      param: 'messages',
    });
    expect(
      failure(JSON.stringify({ type: 'chat.request', id: 'b', body: { ...BODY, temperature: 3 } })),
    ).toMatchObject({ id: 'b', param: 'temperature', message: expect.stringMatching(/temperature/) });
    expect(
      failure(
        JSON.stringify({
          type: 'chat.request',
          id: 'c',
          body: { ...BODY, messages: [{ role: 'robot', content: 'x' }] },
        }),
      ),
    ).toMatchObject({ id: 'c', param: expect.stringMatching(/^messages/) });
  });
});

describe('server frames', () => {
  it('chat.delta carries the text', () => {
    expect(JSON.parse(deltaFrame('c1', 'He said "hi"\n'))).toEqual({
      type: 'chat.delta',
      id: 'c1',
      delta: 'He said "hi"\n',
    });
  });

  it("a tool-call fragment is a chat.delta with an empty delta and OpenAI's tool_calls entry", () => {
    expect(
      JSON.parse(toolCallFrame('c1', { index: 0, id: 'call_1', name: 'f', argumentsDelta: '{"a"' })),
    ).toEqual({
      type: 'chat.delta',
      id: 'c1',
      delta: '',
      tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a"' } }],
    });
    expect(JSON.parse(toolCallFrame('c1', { index: 1, argumentsDelta: ':1}' }))).toEqual({
      type: 'chat.delta',
      id: 'c1',
      delta: '',
      tool_calls: [{ index: 1, function: { arguments: ':1}' } }],
    });
  });

  it('chat.done has finish_reason, OpenAI-style usage and the cache outcome', () => {
    const usage = { promptTokens: 3, completionTokens: 4, totalTokens: 7 };
    expect(JSON.parse(doneFrame('c1', 'length', usage, 'miss'))).toEqual({
      type: 'chat.done',
      id: 'c1',
      finish_reason: 'length',
      usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
      cache: 'miss',
    });
  });

  it('chat.error mirrors the REST envelope, with retry_after where REST sends Retry-After', () => {
    const limited = new GatewayError('rate_limit_exceeded', 'Slow down.', { retryAfterMs: 1500 });
    expect(JSON.parse(errorFrame('c1', limited))).toEqual({
      type: 'chat.error',
      id: 'c1',
      error: { type: 'rate_limit_error', code: 'rate_limit_exceeded', message: 'Slow down.', retry_after: 2 },
    });
    const bad = new GatewayError('invalid_request_error', 'No.', { param: 'messages' });
    expect(JSON.parse(errorFrame(null, bad))).toEqual({
      type: 'chat.error',
      id: null,
      error: {
        type: 'invalid_request_error',
        code: 'invalid_request_error',
        message: 'No.',
        param: 'messages',
      },
    });
    // Internal errors never carry their cause, only the request id.
    const internal = new GatewayError('internal_error', 'database password is hunter2');
    const frame = JSON.parse(errorFrame('c2', internal, 'req-1')) as { error: { message: string } };
    expect(frame.error.message).toBe('Internal server error (request id req-1).');
  });
});
