import { Controller, Get, Module } from '@nestjs/common';
import { createFreshDatabase } from '../support/test-database.js';
import { testConfig } from '../support/test-config.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { LogSink } from '../support/log-sink.js';

const ADMIN_KEY = 'admin-key-for-tests-0123456789';
const INTERNAL_DETAIL = 'password=hunter2 in /srv/secret/path.ts';

@Controller('test-only')
class ThrowingController {
  @Get('boom')
  boom(): never {
    throw new Error(INTERNAL_DETAIL);
  }
}

@Module({ controllers: [ThrowingController] })
class ThrowingModule {}

describe('HTTP surface (errors, request ids, auth, docs)', () => {
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let gw: RunningApp;
  const logs = new LogSink();

  beforeAll(async () => {
    db = await createFreshDatabase();
    const config = testConfig({
      DATABASE_URL: db.url,
      ADMIN_API_KEY: ADMIN_KEY,
      MAX_BODY_BYTES: '4096',
      LOG_LEVEL: 'info',
    });
    gw = await startApp(config, { logDestination: logs, extraModules: [ThrowingModule] });
  });

  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  const auth = { authorization: `Bearer ${ADMIN_KEY}` };
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${gw.baseUrl}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...auth, ...headers },
    });

  async function expectEnvelope(
    res: Response,
    status: number,
    code: string,
  ): Promise<{ message: string; param: string | null }> {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const body = (await res.json()) as {
      error: { message: string; type: string; code: string; param: string | null };
    };
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error).toEqual({
      message: expect.any(String),
      type: expect.any(String),
      code,
      param: body.error.param,
    });
    return body.error;
  }

  it('answers malformed JSON with 400 invalid_request_error', async () => {
    const err = await expectEnvelope(
      await post('/v1/embeddings', '{"model": "local/hash-8", '),
      400,
      'invalid_request_error',
    );
    expect(err.message).toMatch(/not valid JSON/);
  });

  it('names the failing field in param', async () => {
    const err = await expectEnvelope(
      await post('/v1/embeddings', JSON.stringify({ model: 'local/hash-8', input: 42 })),
      400,
      'invalid_request_error',
    );
    expect(err.param).toBe('input');
    const err2 = await expectEnvelope(
      await post('/v1/embeddings', JSON.stringify({ input: 'x' })),
      400,
      'invalid_request_error',
    );
    expect(err2.param).toBe('model');
  });

  it('answers an unknown route with 404 not_found', async () => {
    await expectEnvelope(await fetch(`${gw.baseUrl}/v1/nothing-here`, { headers: auth }), 404, 'not_found');
  });

  it('answers a body over MAX_BODY_BYTES with 413 request_too_large', async () => {
    const big = JSON.stringify({ model: 'local/hash-8', input: 'x'.repeat(5000) });
    const err = await expectEnvelope(await post('/v1/embeddings', big), 413, 'request_too_large');
    expect(err.message).toContain('4096');
  });

  it('answers an unknown model with 404 model_not_found', async () => {
    await expectEnvelope(
      await post('/v1/embeddings', JSON.stringify({ model: 'nope/x', input: 'hi' })),
      404,
      'model_not_found',
    );
  });

  it('turns an unexpected exception into a 500 with the request id and no internals', async () => {
    const res = await fetch(`${gw.baseUrl}/test-only/boom`, {
      headers: { ...auth, 'x-request-id': 'trace-500' },
    });
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('/srv/');
    expect(text).not.toMatch(/at \w+ \(/);
    expect(JSON.parse(text)).toEqual({
      error: {
        message: 'Internal server error (request id trace-500).',
        type: 'server_error',
        code: 'internal_error',
        param: null,
      },
    });
    // The operator still gets the detail, tied to the request id, and never the key.
    const line = logs.lines.find((l) => l.includes('"trace-500"') && l.includes('request failed'));
    expect(line).toContain('hunter2');
    expect(logs.text).not.toContain(ADMIN_KEY);
  });

  it('keeps a sane incoming x-request-id and generates one otherwise', async () => {
    const kept = await fetch(`${gw.baseUrl}/health/live`, { headers: { 'x-request-id': 'abc-123' } });
    expect(kept.headers.get('x-request-id')).toBe('abc-123');
    const fresh = await fetch(`${gw.baseUrl}/health/live`, {
      headers: { 'x-request-id': 'bad id with spaces' },
    });
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const onError = await fetch(`${gw.baseUrl}/nope`, { headers: auth });
    expect(onError.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('requires the admin key everywhere but health, docs and metrics', async () => {
    const body = JSON.stringify({ model: 'local/hash-8', input: 'hi' });
    const missing = await fetch(`${gw.baseUrl}/v1/embeddings`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect((await expectEnvelope(missing, 401, 'authentication_error')).message).toMatch(/Missing API key/);
    const wrong = await post('/v1/embeddings', body, { authorization: 'Bearer wrong-key-wrong-key-wrong' });
    await expectEnvelope(wrong, 401, 'authentication_error');
    const ok = await post('/v1/embeddings', body);
    expect(ok.status).toBe(200);
    expect((await fetch(`${gw.baseUrl}/health/live`)).status).toBe(200);
    expect((await fetch(`${gw.baseUrl}/health/ready`)).status).toBe(200);
    expect((await fetch(`${gw.baseUrl}/docs-json`)).status).toBe(200);
    expect((await fetch(`${gw.baseUrl}/docs`)).status).toBe(200);
  });

  it('reports readiness of the database it uses', async () => {
    const res = await fetch(`${gw.baseUrl}/health/ready`);
    const body = (await res.json()) as {
      status: string;
      details: Record<string, { status: string; kind?: string }>;
    };
    expect(body.status).toBe('ok');
    expect(body.details.database).toMatchObject({ status: 'up', kind: 'postgres' });
    expect(body.details.redis).toBeUndefined();
  });

  it('serves OpenAI-shaped embeddings, as floats or base64', async () => {
    const res = await post(
      '/v1/embeddings',
      JSON.stringify({ model: 'local/hash-16', input: ['a b', 'c d'] }),
    );
    const body = (await res.json()) as {
      data: Array<{ index: number; embedding: number[] }>;
      usage: { prompt_tokens: number };
    };
    expect(body.data.map((d) => d.index)).toEqual([0, 1]);
    expect(body.data[0].embedding).toHaveLength(16);
    expect(body.usage.prompt_tokens).toBe(4);
    const b64 = await post(
      '/v1/embeddings',
      JSON.stringify({ model: 'local/hash-16', input: 'a b', encoding_format: 'base64' }),
    );
    const [first] = ((await b64.json()) as { data: Array<{ embedding: string }> }).data;
    const bytes = Buffer.from(first.embedding, 'base64');
    const floats = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    expect(floats).toHaveLength(16);
    expect(Array.from(floats)[0]).toBeCloseTo(body.data[0].embedding[0], 5);
  });
});
