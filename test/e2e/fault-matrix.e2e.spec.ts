import {
  AnthropicFake,
  anthropicError,
  LiteLlmFake,
  liteLlmError,
  OllamaFake,
  ollamaError,
  OpenAiFake,
  openAiError,
  type FakeFault,
  type FakeUpstream,
} from '../support/fakes/index.js';
import { rfc3339In } from '../support/fakes/errors.js';
import { parseSse, rawRequest, waitFor, type RawResponse } from '../support/fakes/wire-client.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { testConfig } from '../support/test-config.js';

/**
 * Every fault the fakes can produce, for every provider, as the client of
 * `POST /v1/chat/completions` sees it (CONTRACT §4–5): the status, the OpenAI error envelope, the
 * provider header, and for streams the terminal SSE error event. One gateway serves all four fakes.
 */

/** UPSTREAM_TIMEOUT_MS and UPSTREAM_IDLE_TIMEOUT_MS (undici's coarse timers fire up to ~0.5 s late). */
const TIMEOUT_MS = 300;
/** Any answer slower than this is a hang. */
const HANG_GUARD_MS = 5000;
/** Marks the upstream keys, so a leaked secret shows up in any body. */
const SECRET = 'SECRET-do-not-leak';
const KEYS = {
  openai: `sk-openai-${SECRET}`,
  anthropic: `sk-ant-${SECRET}`,
  litellm: `sk-litellm-${SECRET}`,
};
/** The fakes refuse prompts over this many words with their own context-overflow error. */
const CONTEXT_WORDS = 100;
const LONG_PROMPT = Array.from({ length: 3 * CONTEXT_WORDS }, (_, i) => `word${i}`).join(' ');
/** Multi-byte text, so byte-level splits land inside UTF-8 sequences. */
const REPLY_CHUNKS = ['Grüße', ' aus', ' Köln', ' —', ' 世界', ' 🌍', ' fin.'];
const REPLY = REPLY_CHUNKS.join('');
const SHORT_CHUNKS = ['Hé 🌍'];

const openai = new OpenAiFake({ apiKey: KEYS.openai, contextWindowTokens: CONTEXT_WORDS });
const anthropic = new AnthropicFake({ apiKey: KEYS.anthropic, contextWindowTokens: CONTEXT_WORDS });
const ollama = new OllamaFake();
const litellm = new LiteLlmFake({ masterKey: KEYS.litellm, contextWindowTokens: CONTEXT_WORDS });
const FAKES: FakeUpstream[] = [openai, anthropic, ollama, litellm];

type ProviderId = 'openai' | 'anthropic' | 'ollama' | 'litellm';
type Mode = 'json' | 'sse';

interface Target {
  id: ProviderId;
  model: string;
  fake: FakeUpstream;
  /** The upstream chat route; faults are scoped to it so model discovery is never hit. */
  chatPath: string;
  /** The gateway code for this provider's own mid-stream error frame. */
  midStreamCode: string;
}

const TARGETS: Target[] = [
  {
    id: 'openai',
    model: 'openai/gpt-4o-mini',
    fake: openai,
    chatPath: '/v1/chat/completions',
    midStreamCode: 'upstream_error',
  },
  {
    id: 'anthropic',
    model: 'anthropic/claude-sonnet-4-5',
    fake: anthropic,
    chatPath: '/v1/messages',
    // `overloaded_error` is Anthropic's mid-stream form; overloaded is unavailable (CONTRACT §5).
    midStreamCode: 'upstream_unavailable',
  },
  {
    id: 'ollama',
    model: 'ollama/llama3.2',
    fake: ollama,
    chatPath: '/api/chat',
    midStreamCode: 'upstream_error',
  },
  {
    id: 'litellm',
    model: 'litellm/gpt-4o-mini',
    fake: litellm,
    chatPath: '/chat/completions',
    midStreamCode: 'upstream_error',
  },
];

/** A failure the gateway must report as an HTTP status before any byte of a stream. */
interface StatusCase {
  name: string;
  fault?: () => FakeFault;
  prompt?: string;
  status: number;
  code: string;
  type?: string;
  message?: RegExp;
  /** Inclusive bounds of the `Retry-After` seconds the client must get. */
  retryAfter?: [number, number];
  /** The answer must come faster than this (timeouts). */
  withinMs?: number;
}

const RATE_LIMIT = { status: 429, code: 'rate_limit_exceeded' } as const;
const CONTEXT = { status: 400, code: 'context_length_exceeded', type: 'invalid_request_error' } as const;
const CREDENTIALS = { status: 502, code: 'upstream_error', message: /credential/i } as const;

function withHeaders(fault: FakeFault, headers: Record<string, string>): FakeFault {
  return { ...fault, headers: { ...fault.headers, ...headers } };
}

function anthropicResetsIn(seconds: number): Record<string, string> {
  const at = rfc3339In(seconds);
  const names = ['requests', 'tokens', 'input-tokens', 'output-tokens'];
  return Object.fromEntries(names.map((n) => [`anthropic-ratelimit-${n}-reset`, at]));
}

/** Each provider's own rate-limit and context-overflow forms. */
function providerCases(id: ProviderId): StatusCase[] {
  switch (id) {
    case 'openai':
      return [
        {
          name: '429 retry-after',
          fault: () => openAiError(429, 'rate_limit_exceeded', { retryAfter: '2' }),
          ...RATE_LIMIT,
          retryAfter: [2, 2],
        },
        {
          name: '429 retry-after-ms',
          fault: () => openAiError(429, 'rate_limit_exceeded', { retryAfterMs: '2500' }),
          ...RATE_LIMIT,
          retryAfter: [3, 3],
        },
        {
          name: '429 x-ratelimit-reset-* only',
          fault: () =>
            withHeaders(openAiError(429, 'rate_limit_exceeded'), {
              'x-ratelimit-reset-requests': '4s',
              'x-ratelimit-reset-tokens': '1.5s',
            }),
          ...RATE_LIMIT,
          retryAfter: [4, 4],
        },
        { name: 'context_length_exceeded', prompt: LONG_PROMPT, ...CONTEXT },
      ];
    case 'anthropic':
      return [
        {
          name: '429 retry-after',
          fault: () => anthropicError(429, { retryAfter: '3' }),
          ...RATE_LIMIT,
          retryAfter: [3, 3],
        },
        {
          name: '429 anthropic-ratelimit-*-reset only',
          fault: () => withHeaders(anthropicError(429), anthropicResetsIn(5)),
          ...RATE_LIMIT,
          retryAfter: [3, 5],
        },
        { name: '529 overloaded', fault: () => ({ status: 529 }), status: 503, code: 'upstream_unavailable' },
        { name: 'prompt is too long', prompt: LONG_PROMPT, ...CONTEXT },
      ];
    case 'ollama':
      return [
        {
          name: '429 without retry-after',
          fault: () => ollamaError(429),
          ...RATE_LIMIT,
          retryAfter: [1, 60],
        },
        {
          name: '429 retry-after',
          fault: () => withHeaders(ollamaError(429), { 'retry-after': '2' }),
          ...RATE_LIMIT,
          retryAfter: [2, 2],
        },
        {
          name: 'context overflow (truncate:false, llama-server wording)',
          fault: () =>
            ollamaError(
              400,
              'request (8889 tokens) exceeds the available context size (4096 tokens), try increasing it',
            ),
          ...CONTEXT,
        },
        {
          name: 'context overflow (shift:false wording)',
          fault: () =>
            ollamaError(
              400,
              'the prompt is longer than the context length currently available to the model; try reducing it',
            ),
          ...CONTEXT,
        },
      ];
    case 'litellm':
      return [
        {
          name: '429 retry-after',
          fault: () => liteLlmError(429, undefined, { retryAfter: '4' }),
          ...RATE_LIMIT,
          retryAfter: [4, 4],
        },
        {
          name: '429 retry-after-ms',
          fault: () => liteLlmError(429, undefined, { retryAfterMs: '1200' }),
          ...RATE_LIMIT,
          retryAfter: [2, 2],
        },
        { name: 'ContextWindowExceededError', prompt: LONG_PROMPT, ...CONTEXT },
      ];
  }
}

function statusCases(t: Target): StatusCase[] {
  return [
    ...providerCases(t.id),
    { name: 'upstream 500', fault: () => ({ status: 500 }), status: 502, code: 'upstream_error' },
    { name: 'upstream 503', fault: () => ({ status: 503 }), status: 503, code: 'upstream_unavailable' },
    { name: 'upstream 401', fault: () => ({ status: 401 }), ...CREDENTIALS },
    { name: 'upstream 403', fault: () => ({ status: 403 }), ...CREDENTIALS },
    {
      name: 'connection reset',
      fault: () => ({ resetConnection: true }),
      status: 503,
      code: 'upstream_unavailable',
    },
    {
      name: 'no headers within UPSTREAM_TIMEOUT_MS',
      fault: () => ({ delayBeforeHeadersMs: 4000 }),
      status: 504,
      code: 'upstream_timeout',
      withinMs: 2500,
    },
  ];
}

/** A failure after the stream started: the client must get a terminal SSE error event. */
interface MidStreamCase {
  name: string;
  fault: FakeFault;
  codes: (t: Target) => string[];
  /** Whether some text must have reached the client before the error. */
  partial: boolean;
}

const MID_STREAM: MidStreamCase[] = [
  {
    name: 'cutAfterChunks',
    fault: { cutAfterChunks: 4 },
    codes: () => ['upstream_error', 'upstream_unavailable'],
    partial: true,
  },
  {
    // Frames 20 ms apart, so the gateway reads the good frames and the broken one separately.
    name: 'malformedChunkAt (frames in separate reads)',
    fault: { malformedChunkAt: 4, chunkDelayMs: 20 },
    codes: () => ['upstream_error'],
    partial: true,
  },
  {
    // Good frames and the broken one arrive in one read: the good ones must still reach the client.
    name: 'malformedChunkAt (whole stream in one write)',
    fault: { malformedChunkAt: 4, coalesce: true },
    codes: () => ['upstream_error'],
    partial: true,
  },
  {
    name: 'errorAfterChunks',
    fault: { errorAfterChunks: 4 },
    codes: (t) => [t.midStreamCode],
    partial: true,
  },
  {
    // Silence longer than UPSTREAM_IDLE_TIMEOUT_MS after the stream began (its first frame carries
    // no text yet, so nothing is asserted about partial text).
    name: 'silence after the first frame',
    fault: { chunkDelayMs: 1500 },
    codes: () => ['upstream_timeout'],
    partial: false,
  },
];

/** Body faults on a non-streamed answer. */
const BROKEN_BODY: Array<[string, FakeFault, number[], string[]]> = [
  [
    'cutAfterChunks (half a JSON body)',
    { cutAfterChunks: 1 },
    [502, 503],
    ['upstream_error', 'upstream_unavailable'],
  ],
  ['malformedChunkAt 0 (truncated JSON)', { malformedChunkAt: 0 }, [502], ['upstream_error']],
  ['hangAfterHeaders', { hangAfterHeaders: true }, [504], ['upstream_timeout']],
];

/** Wire variations that must not change a single character of the answer. */
const BENIGN: Array<[string, FakeFault, string[], Mode[]]> = [
  ['splitAtOddBytes', { splitAtOddBytes: true }, REPLY_CHUNKS, ['sse', 'json']],
  ['bytewise', { bytewise: true }, SHORT_CHUNKS, ['sse']],
  ['coalesce', { coalesce: true }, REPLY_CHUNKS, ['sse', 'json']],
  ['useCrlf', { useCrlf: true }, REPLY_CHUNKS, ['sse']],
  ['keepAliveBetweenChunks', { keepAliveBetweenChunks: true }, REPLY_CHUNKS, ['sse']],
  ['chunkDelayMs below the idle timeout', { chunkDelayMs: 60 }, REPLY_CHUNKS, ['sse']],
];

let gw: RunningApp;

interface Answer extends RawResponse {
  elapsedMs: number;
}

async function chat(t: Target, mode: Mode, prompt = 'Hello'): Promise<Answer> {
  const started = Date.now();
  const res = await rawRequest(`${gw.baseUrl}/v1/chat/completions`, {
    body: { model: t.model, messages: [{ role: 'user', content: prompt }], stream: mode === 'sse' },
    headers: { connection: 'close' },
    signal: AbortSignal.timeout(HANG_GUARD_MS),
  });
  return { ...res, elapsedMs: Date.now() - started };
}

interface Envelope {
  error: { message: string; type: string; code: string; param: string | null };
}

/** CONTRACT §5: exactly `{"error":{"message","type","code","param"}}`, no secret in it. */
function expectEnvelope(value: unknown, raw: string): Envelope {
  expect(value).toEqual({ error: expect.any(Object) });
  const error = (value as Envelope).error;
  expect(Object.keys(error).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(error.message).toEqual(expect.stringMatching(/\S/));
  expect(error.type).toEqual(expect.stringMatching(/\S/));
  expect(typeof error.code).toBe('string');
  expect(error.param === null || typeof error.param === 'string').toBe(true);
  expect(raw).not.toContain(SECRET);
  expect(raw).not.toMatch(/\n\s+at /); // no stack trace
  return value as Envelope;
}

function jsonError(res: Answer): Envelope {
  expect(res.error).toBeUndefined();
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return expectEnvelope(JSON.parse(res.text), res.text);
}

interface StreamOutcome {
  text: string;
  dataEvents: string[];
  done: boolean;
}

function readStream(res: Answer): StreamOutcome {
  expect(res.error).toBeUndefined();
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
  const { events, rest } = parseSse(res.text);
  expect(rest).toBe('');
  const dataEvents = events.map((e) => e.data);
  let text = '';
  for (const data of dataEvents) {
    if (data === '[DONE]') continue;
    const chunk = JSON.parse(data) as { choices?: Array<{ delta?: { content?: string } }> };
    text += chunk.choices?.[0]?.delta?.content ?? '';
  }
  return { text, dataEvents, done: dataEvents.includes('[DONE]') };
}

/** The stream's last event is an OpenAI error envelope, and nothing (no `[DONE]`) follows it. */
function streamError(res: Answer): { outcome: StreamOutcome; envelope: Envelope } {
  const outcome = readStream(res);
  expect(outcome.done).toBe(false);
  const last = outcome.dataEvents[outcome.dataEvents.length - 1] ?? '';
  expect(last).toMatch(/^\{"error":/);
  const envelope = expectEnvelope(JSON.parse(last), res.text);
  expect(outcome.dataEvents.filter((d) => d.startsWith('{"error"'))).toHaveLength(1);
  return { outcome, envelope };
}

function textOf(res: Answer): string {
  expect(res.error).toBeUndefined();
  expect(res.status).toBe(200);
  const body = JSON.parse(res.text) as { choices: Array<{ message: { content: string | null } }> };
  return body.choices[0]?.message.content ?? '';
}

/** The status, code and headers of an error answered before any byte; `mode` labels any diff. */
function expectStatusAnswer(mode: Mode, res: Answer, t: Target, c: StatusCase): void {
  let code: unknown;
  try {
    code = (JSON.parse(res.text) as Envelope).error.code;
  } catch {
    code = undefined;
  }
  expect({ mode, status: res.status, code, provider: res.headers['x-gateway-provider'] }).toEqual({
    mode,
    status: c.status,
    code: c.code,
    provider: t.id,
  });
  const { error } = jsonError(res);
  if (c.type) expect({ mode, type: error.type }).toEqual({ mode, type: c.type });
  if (c.message) expect(error.message).toMatch(c.message);
  if (c.retryAfter) {
    const seconds = Number(res.headers['retry-after']);
    expect(Number.isInteger(seconds)).toBe(true);
    expect(seconds).toBeGreaterThanOrEqual(c.retryAfter[0]);
    expect(seconds).toBeLessThanOrEqual(c.retryAfter[1]);
  }
  if (c.withinMs) expect(res.elapsedMs).toBeLessThan(c.withinMs);
}

/** No upstream request is left open once the client has its answer. */
async function expectUpstreamSettled(fake: FakeUpstream): Promise<void> {
  await waitFor(() => fake.activeRequests === 0, 2000).catch(() => undefined);
  expect(fake.activeRequests).toBe(0);
}

beforeAll(async () => {
  await Promise.all(FAKES.map((f) => f.start()));
  gw = await startApp(
    testConfig({
      OPENAI_API_KEY: KEYS.openai,
      OPENAI_BASE_URL: `${openai.url}/v1`,
      ANTHROPIC_API_KEY: KEYS.anthropic,
      ANTHROPIC_BASE_URL: anthropic.url,
      OLLAMA_BASE_URL: ollama.url,
      LITELLM_BASE_URL: litellm.url,
      LITELLM_API_KEY: KEYS.litellm,
      UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS),
      UPSTREAM_IDLE_TIMEOUT_MS: String(TIMEOUT_MS),
    }),
  );
});

afterAll(async () => {
  await gw?.close();
  await Promise.all(FAKES.map((f) => f.stop()));
});

describe.each(TARGETS)('fault matrix through the gateway: $id', (t) => {
  beforeEach(() => {
    t.fake.reset();
    t.fake.setReply({ chunks: REPLY_CHUNKS });
  });

  it.each(statusCases(t).map((c): [string, StatusCase] => [c.name, c]))(
    '%s → HTTP error before any byte, streamed or not',
    async (_name, c) => {
      const fault = c.fault?.();
      // A default behaviour, not a one-shot fault: a retry inside the gateway must meet it too.
      if (fault) t.fake.setDefaultBehaviour({ ...fault, path: t.chatPath });
      const modes: Mode[] = ['json', 'sse'];
      const answers = await Promise.all(modes.map((mode) => chat(t, mode, c.prompt)));
      expect(t.fake.requestsTo(t.chatPath).length).toBeGreaterThanOrEqual(modes.length);
      answers.forEach((res, i) => expectStatusAnswer(modes[i] ?? 'json', res, t, c));
      await expectUpstreamSettled(t.fake);
    },
  );

  it.each(MID_STREAM.map((c): [string, MidStreamCase] => [c.name, c]))(
    '%s mid-stream → terminal SSE error event, no [DONE], socket closed',
    async (_name, c) => {
      t.fake.setDefaultBehaviour({ ...c.fault, path: t.chatPath });
      const res = await chat(t, 'sse');
      expect(res.elapsedMs).toBeLessThan(3000);
      expect(res.headers['x-gateway-provider']).toBe(t.id);
      const { outcome, envelope } = streamError(res);
      expect(c.codes(t)).toContain(envelope.error.code);
      if (c.partial) {
        expect(outcome.text.length).toBeGreaterThan(0);
        expect(REPLY.startsWith(outcome.text)).toBe(true);
        expect(outcome.text).not.toBe(REPLY);
      }
      await expectUpstreamSettled(t.fake);
    },
  );

  // The gateway answers a stream's HTTP status only once the first part arrived, so an upstream that
  // sends headers and then nothing is still a plain 504 (and a router may still fall back).
  it('hangAfterHeaders on a stream, before any content → 504 upstream_timeout before any byte', async () => {
    t.fake.setDefaultBehaviour({ hangAfterHeaders: true, path: t.chatPath });
    const res = await chat(t, 'sse');
    expect(res.elapsedMs).toBeLessThan(3000);
    expect(res.status).toBe(504);
    expect(res.headers['x-gateway-provider']).toBe(t.id);
    expect(jsonError(res).error.code).toBe('upstream_timeout');
    await expectUpstreamSettled(t.fake);
  });

  it.each(BROKEN_BODY)('non-streamed %s → clean upstream error', async (_name, fault, statuses, codes) => {
    t.fake.setDefaultBehaviour({ ...fault, path: t.chatPath });
    const res = await chat(t, 'json');
    expect(res.elapsedMs).toBeLessThan(3000);
    expect(statuses).toContain(res.status);
    expect(res.headers['x-gateway-provider']).toBe(t.id);
    expect(codes).toContain(jsonError(res).error.code);
    await expectUpstreamSettled(t.fake);
  });

  it('a clean stream and a clean completion give the reply text', async () => {
    const streamed = readStream(await chat(t, 'sse'));
    expect(streamed.text).toBe(REPLY);
    expect(streamed.dataEvents[streamed.dataEvents.length - 1]).toBe('[DONE]');
    expect(textOf(await chat(t, 'json'))).toBe(REPLY);
  });

  const benignRows = BENIGN.flatMap(([name, fault, chunks, benignModes]) =>
    benignModes.map((mode): [string, Mode, FakeFault, string[]] => [name, mode, fault, chunks]),
  );

  it.each(benignRows)('%s (%s) → exactly the clean text', async (_name, mode, fault, chunks) => {
    t.fake.setReply({ chunks });
    const clean = mode === 'sse' ? readStream(await chat(t, mode)).text : textOf(await chat(t, mode));
    expect(clean).toBe(chunks.join(''));
    t.fake.setDefaultBehaviour({ ...fault, path: t.chatPath });
    const res = await chat(t, mode);
    expect(res.headers['x-gateway-provider']).toBe(t.id);
    if (mode === 'json') {
      expect(textOf(res)).toBe(clean);
    } else {
      const varied = readStream(res);
      expect(varied.text).toBe(clean);
      expect(varied.dataEvents[varied.dataEvents.length - 1]).toBe('[DONE]');
      expect(varied.dataEvents.some((d) => d.startsWith('{"error"'))).toBe(false);
    }
    await expectUpstreamSettled(t.fake);
  });
});

describe('after the whole fault matrix', () => {
  it('the gateway is still live and no upstream request is left open', async () => {
    const live = await rawRequest(`${gw.baseUrl}/health/live`, {
      signal: AbortSignal.timeout(HANG_GUARD_MS),
    });
    expect(live.status).toBe(200);
    expect(JSON.parse(live.text)).toEqual({ status: 'ok' });
    await waitFor(() => FAKES.every((f) => f.activeRequests === 0), 3000).catch(() => undefined);
    expect(FAKES.map((f) => f.activeRequests)).toEqual([0, 0, 0, 0]);
  });
});
