import 'reflect-metadata';
import { ValidationPipe } from '@nestjs/common';
import { GatewayError } from '../../common/errors/gateway-error.js';
import { ChatCompletionRequestDto } from './chat-completion.request.dto.js';
import { validateChatCompletionRequest } from './chat-completion.request.validation.js';

const messages = [{ role: 'user', content: 'hi' }];
const base = { model: 'openai/gpt-4o-mini', messages };

/** Bodies with what the decorators on the DTO decide about them: undefined = valid, else the param. */
const CASES: Array<[string, Record<string, unknown>, string | undefined]> = [
  ['minimal', base, undefined],
  [
    'every field',
    {
      ...base,
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.5,
      top_p: 1,
      max_tokens: 10,
      max_completion_tokens: 10,
      stop: ['a', 'b'],
      seed: -3,
      user: 'u',
      n: 1,
      presence_penalty: -2,
      frequency_penalty: 2,
      response_format: { type: 'json_object' },
      tools: [],
      tool_choice: 'auto',
      parallel_tool_calls: false,
      conversation_id: 'c',
      template: { name: 't' },
      context: { collection: 'x' },
      cache: { mode: 'off' },
      service_tier: 'auto',
    },
    undefined,
  ],
  ['no model', { messages }, 'model'],
  ['numeric model', { ...base, model: 3 }, 'model'],
  ['no messages', { model: 'm' }, 'messages'],
  ['empty messages', { ...base, messages: [] }, 'messages'],
  ['temperature too high', { ...base, temperature: 2.5 }, 'temperature'],
  ['temperature as string', { ...base, temperature: '1' }, 'temperature'],
  ['top_p negative', { ...base, top_p: -0.1 }, 'top_p'],
  ['max_tokens zero', { ...base, max_tokens: 0 }, 'max_tokens'],
  ['max_tokens fraction', { ...base, max_tokens: 1.5 }, 'max_tokens'],
  ['seed fraction', { ...base, seed: 0.5 }, 'seed'],
  ['stop of five', { ...base, stop: ['a', 'b', 'c', 'd', 'e'] }, 'stop'],
  ['stop number', { ...base, stop: 3 }, 'stop'],
  ['n two', { ...base, n: 2 }, 'n'],
  ['penalty too low', { ...base, presence_penalty: -3 }, 'presence_penalty'],
  ['stream string', { ...base, stream: 'yes' }, 'stream'],
  ['stream_options usage string', { ...base, stream_options: { include_usage: 'y' } }, 'stream_options'],
  ['response_format string', { ...base, response_format: 'json' }, 'response_format'],
  ['tools object', { ...base, tools: {} }, 'tools'],
  ['template array', { ...base, template: [] }, 'template'],
  ['service tier unknown', { ...base, service_tier: 'gold' }, 'service_tier'],
];

const pipe = new ValidationPipe({
  transform: true,
  whitelist: true,
  forbidUnknownValues: true,
  stopAtFirstError: true,
});

async function decoratorVerdict(body: Record<string, unknown>): Promise<string | undefined> {
  try {
    await pipe.transform(structuredClone(body), {
      type: 'body',
      metatype: ChatCompletionRequestDto,
      data: '',
    });
    return undefined;
  } catch (err) {
    const response = (err as { getResponse(): { message: string[] } }).getResponse();
    return response.message[0]?.split(' ')[0];
  }
}

function fastVerdict(body: Record<string, unknown>): string | undefined {
  try {
    validateChatCompletionRequest(structuredClone(body));
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    return (err as GatewayError).param;
  }
}

describe('validateChatCompletionRequest', () => {
  it.each(CASES)('%s: same verdict as the DTO decorators', async (_name, body, param) => {
    const decorators = await decoratorVerdict(body);
    // class-validator messages start with the property (`temperature must not be ...`).
    expect(decorators?.split('.')[0]).toBe(param?.split('.')[0]);
    expect(fastVerdict(body)).toBe(param);
  });

  it('drops unknown fields and keeps known ones', () => {
    const out = validateChatCompletionRequest({ ...base, temperature: 1, __proto__x: 1, extra: { a: 1 } });
    expect(out).toEqual({ ...base, temperature: 1 });
  });

  it('names the failing message path', () => {
    expect(() =>
      validateChatCompletionRequest({ model: 'm', messages: [{ role: 'robot', content: 'x' }] }),
    ).toThrow(expect.objectContaining({ param: 'messages.0.role', code: 'invalid_request_error' }) as Error);
  });

  it('refuses a body that is not an object', () => {
    expect(() => validateChatCompletionRequest([base])).toThrow(GatewayError);
  });
});
