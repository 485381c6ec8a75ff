import { writeFileSync } from 'node:fs';
import { runToExit, startBuiltServer, type BuiltServer } from '../support/built-server.js';
import { OpenAiFake } from '../support/fakes/index.js';
import { rawRequest, waitFor } from '../support/fakes/wire-client.js';
import {
  chat,
  completionText,
  errorOf,
  routeViews,
  summarizeStream,
  waitUntil,
  writeGatewayConfig,
} from '../support/routing-harness.js';
import { tempDir } from '../support/test-config.js';
import { createFreshDatabase } from '../support/test-database.js';

/**
 * GATEWAY_CONFIG is re-read on SIGHUP (and POST /api/routes/reload) in a running server process:
 * new calls take the new routes, calls in flight finish on the old ones, an invalid file changes
 * nothing. At boot an invalid file stops the server with one message per problem.
 */

const CHAT = '/v1/chat/completions';
const KEY_A = 'sk-reload-a';
const KEY_B = 'sk-reload-b';
const ADMIN = 'admin-key-for-routing-reload';
const AS_ADMIN = { authorization: `Bearer ${ADMIN}` };

describe('routing: GATEWAY_CONFIG reload in a running server', () => {
  const fakeA = new OpenAiFake({ apiKey: KEY_A });
  const fakeB = new OpenAiFake({ apiKey: KEY_B });
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let server: BuiltServer;
  let configPath: string;

  const onA = () => `
aliases:
  live:
    targets:
      - model: openai/gpt-4o-mini
        name: live-a
`;
  const onB = () => `
aliases:
  live:
    targets:
      - model: openai/gpt-4o-mini
        name: live-b
        base_url: ${fakeB.url}/v1
        api_key_env: OPENAI_B_KEY
  extra:
    strategy: weighted
    targets:
      - model: openai/gpt-4o-mini
        name: live-b
        base_url: ${fakeB.url}/v1
        api_key_env: OPENAI_B_KEY
`;
  /** Two problems: a provider that does not exist and a key variable that is not set. */
  const INVALID = `
aliases:
  live:
    targets:
      - model: nowhere/gpt-4o-mini
      - model: openai/gpt-4o-mini
        name: other
        api_key_env: NOT_SET_ANYWHERE
`;

  const liveTargets = async () =>
    ((await routeViews(server.baseUrl, AS_ADMIN)).find((r) => r.alias === 'live')?.targets ?? []).map(
      (t) => t.id,
    );
  const logged = (text: string) => [...server.stdout, ...server.stderr].some((l) => l.includes(text));

  beforeAll(async () => {
    await Promise.all([fakeA.start(), fakeB.start()]);
    db = await createFreshDatabase();
    configPath = writeGatewayConfig(tempDir('routing-'), onA());
    server = await startBuiltServer(
      {
        DATABASE_URL: db.url,
        ADMIN_API_KEY: ADMIN,
        OPENAI_API_KEY: KEY_A,
        OPENAI_BASE_URL: `${fakeA.url}/v1`,
        OPENAI_B_KEY: KEY_B,
        GATEWAY_CONFIG: configPath,
        CACHE_DEFAULT_MODE: 'off',
        LOG_LEVEL: 'info',
        DATA_DIR: tempDir(),
      },
      process.cwd(),
    );
  }, 60_000);

  afterAll(async () => {
    if (server && server.proc.exitCode === null) server.proc.kill('SIGKILL');
    await server?.exited;
    await Promise.all([fakeA.stop(), fakeB.stop()]);
    await db?.drop();
  });

  beforeEach(() => {
    fakeA.reset();
    fakeB.reset();
    fakeA.setReply({ text: 'from A' });
    fakeB.setReply({ text: 'from B' });
  });

  it('SIGHUP sends new calls to the new target while a stream started before finishes intact', async () => {
    expect(completionText(await chat(server.baseUrl, 'live', { headers: AS_ADMIN }))).toBe('from A');
    const words = Array.from({ length: 10 }, (_, i) => ` w${i}`);
    fakeA.setReply({ text: words.join(''), chunks: words });
    fakeA.enqueueFault({ chunkDelayMs: 100, path: CHAT });
    const slow = chat(server.baseUrl, 'live', { stream: true, headers: AS_ADMIN });
    await waitFor(() => fakeA.activeRequests === 1, 2000);

    writeFileSync(configPath, onB());
    server.proc.kill('SIGHUP');
    await waitUntil(async () => (await liveTargets()).join() === 'live-b', 2000, 'the new routes');
    // The reload took effect while the stream was still running on the old target.
    expect(fakeA.activeRequests).toBe(1);

    const fresh = await chat(server.baseUrl, 'live', { headers: AS_ADMIN });
    expect(fresh.status).toBe(200);
    expect(completionText(fresh)).toBe('from B');
    expect(fakeB.requestsTo(CHAT)).toHaveLength(1);
    expect(fakeA.requestsTo(CHAT)).toHaveLength(2);

    const streamed = await slow;
    expect(streamed.status).toBe(200);
    expect(streamed.error).toBeUndefined();
    expect(summarizeStream(streamed.text)).toEqual({ text: words.join(''), done: 1, roles: 1, errors: [] });
    expect(server.proc.exitCode).toBeNull();
  });

  it('an invalid file on SIGHUP keeps the previous routes and the server up', async () => {
    writeFileSync(configPath, onB());
    expect(
      (await rawRequest(`${server.baseUrl}/api/routes/reload`, { method: 'POST', headers: AS_ADMIN })).status,
    ).toBe(200);
    writeFileSync(configPath, INVALID);
    server.proc.kill('SIGHUP');
    await waitFor(() => logged('reload refused'), 3000);
    expect(logged("unknown provider 'nowhere'")).toBe(true);
    expect(logged('NOT_SET_ANYWHERE is not set')).toBe(true);
    expect(server.proc.exitCode).toBeNull();
    expect(await liveTargets()).toEqual(['live-b']);
    expect(completionText(await chat(server.baseUrl, 'live', { headers: AS_ADMIN }))).toBe('from B');
    expect(fakeA.requestsTo(CHAT)).toHaveLength(0);
  });

  it('POST /api/routes/reload refuses an invalid file with its problems and applies a valid one', async () => {
    writeFileSync(configPath, INVALID);
    const refused = await rawRequest(`${server.baseUrl}/api/routes/reload`, {
      method: 'POST',
      headers: AS_ADMIN,
    });
    expect(refused.status).toBe(400);
    expect(errorOf(refused).type).toBe('invalid_request_error');
    expect(errorOf(refused).message).toContain("unknown provider 'nowhere'");
    expect(errorOf(refused).message).toContain('NOT_SET_ANYWHERE is not set');
    expect(errorOf(refused).message).not.toContain(KEY_B);

    writeFileSync(configPath, onA());
    const applied = await rawRequest(`${server.baseUrl}/api/routes/reload`, {
      method: 'POST',
      headers: AS_ADMIN,
    });
    expect(applied.status).toBe(200);
    const data = (
      JSON.parse(applied.text) as { data: Array<{ alias: string; targets: Array<{ id: string }> }> }
    ).data;
    expect(data.map((r) => [r.alias, r.targets.map((t) => t.id)])).toEqual([['live', ['live-a']]]);
    expect(completionText(await chat(server.baseUrl, 'live', { headers: AS_ADMIN }))).toBe('from A');
    // A removed alias is no longer known.
    expect((await chat(server.baseUrl, 'extra', { headers: AS_ADMIN })).status).toBe(404);
  });

  it('keeps GET /api/routes and POST /api/routes/reload to the admin; other keys still see aliases in /v1/models', async () => {
    const created = await rawRequest(`${server.baseUrl}/api/keys`, {
      method: 'POST',
      headers: AS_ADMIN,
      body: { name: 'routing-user', scopes: ['chat'] },
    });
    expect(created.status).toBe(201);
    const user = { authorization: `Bearer ${(JSON.parse(created.text) as { key: string }).key}` };
    expect((await rawRequest(`${server.baseUrl}/api/routes`, { headers: user })).status).toBe(403);
    expect(
      (await rawRequest(`${server.baseUrl}/api/routes/reload`, { method: 'POST', headers: user })).status,
    ).toBe(403);
    expect((await rawRequest(`${server.baseUrl}/api/routes`)).status).toBe(401);
    const models = await rawRequest(`${server.baseUrl}/v1/models`, { headers: user });
    expect(models.status).toBe(200);
    expect((JSON.parse(models.text) as { data: Array<{ id: string }> }).data.map((m) => m.id)).toContain(
      'live',
    );
    expect((await chat(server.baseUrl, 'live', { headers: user })).status).toBe(200);
  });
});

describe('routing: an invalid GATEWAY_CONFIG stops the boot', () => {
  it('with one clear message per problem', async () => {
    const path = writeGatewayConfig(
      tempDir('routing-'),
      `
routing:
  retries: { rate_limit: -1 }
aliases:
  fast:
    strategy: fastest
    targets:
      - model: nowhere/x
      - model: openai/gpt-4o-mini
        api_key_env: NOT_SET_ANYWHERE
`,
    );
    const run = await runToExit(
      { GATEWAY_CONFIG: path, DATA_DIR: tempDir(), LOG_LEVEL: 'info' },
      process.cwd(),
    );
    expect(run.code).toBe(1);
    expect(run.stdout).not.toContain('"listening"');
    const lines = run.stderr.split('\n').filter((l) => l.includes('GATEWAY_CONFIG'));
    // Schema problems are reported together: the bad retry count and the unknown strategy.
    expect(lines.some((l) => l.includes('routing.retries.rate_limit'))).toBe(true);
    expect(lines.some((l) => l.includes('aliases.fast.strategy'))).toBe(true);
    expect(lines.length).toBeGreaterThanOrEqual(2);
  }, 30_000);

  it('names every semantic problem of a well-formed file', async () => {
    const path = writeGatewayConfig(
      tempDir('routing-'),
      `
aliases:
  fast:
    targets:
      - model: nowhere/x
      - model: openai/gpt-4o-mini
        api_key_env: NOT_SET_ANYWHERE
      - model: anthropic/claude-sonnet-4-5
`,
    );
    const run = await runToExit(
      { GATEWAY_CONFIG: path, DATA_DIR: tempDir(), LOG_LEVEL: 'info' },
      process.cwd(),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("GATEWAY_CONFIG: aliases.fast.targets.0.model: unknown provider 'nowhere'");
    expect(run.stderr).toContain(
      'GATEWAY_CONFIG: aliases.fast.targets.1.api_key_env: NOT_SET_ANYWHERE is not set',
    );
    expect(run.stderr).toContain(
      "GATEWAY_CONFIG: aliases.fast.targets.2.model: provider 'anthropic' is not configured",
    );
  }, 30_000);

  it('when the file cannot be read', async () => {
    const run = await runToExit(
      { GATEWAY_CONFIG: '/nonexistent/gateway.yaml', DATA_DIR: tempDir(), LOG_LEVEL: 'info' },
      process.cwd(),
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('GATEWAY_CONFIG: cannot read /nonexistent/gateway.yaml (ENOENT)');
  }, 30_000);
});
