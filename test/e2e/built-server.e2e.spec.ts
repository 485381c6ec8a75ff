import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import SwaggerParser from '@apidevtools/swagger-parser';
import { runToExit, startBuiltServer, type BuiltServer } from '../support/built-server.js';
import { createFreshDatabase } from '../support/test-database.js';

const run = promisify(execFile);
const BIN = resolve(__dirname, '../../node_modules/.bin');

type OpenApiDoc = {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
};

describe('built server: OpenAPI document', () => {
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let server: BuiltServer;
  let doc: OpenApiDoc;

  beforeAll(async () => {
    db = await createFreshDatabase();
    server = await startBuiltServer({ DATABASE_URL: db.url }, process.cwd());
    doc = (await (await fetch(`${server.baseUrl}/docs-json`)).json()) as OpenApiDoc;
  });
  afterAll(async () => {
    server?.proc.kill('SIGTERM');
    await server?.exited;
    await db?.drop();
  });

  it('is a valid OpenAPI 3 document', async () => {
    expect(doc.openapi).toMatch(/^3\./);
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it('documents the error envelope on every API route', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      // Operations routes take no input and no key.
      if (path.startsWith('/health') || path === '/metrics') continue;
      for (const [method, op] of Object.entries(ops)) {
        expect({
          route: `${method} ${path}`,
          has400: '400' in op.responses,
          has401: '401' in op.responses,
        }).toEqual({
          route: `${method} ${path}`,
          has400: true,
          has401: true,
        });
      }
    }
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/v1/embeddings', '/health/live', '/health/ready']),
    );
  });

  it('generates a typed client that compiles', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openapi-client-'));
    writeFileSync(join(dir, 'openapi.json'), JSON.stringify(doc));
    await run(join(BIN, 'openapi-typescript'), [join(dir, 'openapi.json'), '-o', join(dir, 'api.d.ts')]);
    writeFileSync(
      join(dir, 'client.ts'),
      [
        "import type { paths, components } from './api.js';",
        "type Req = paths['/v1/embeddings']['post']['requestBody'];",
        "type Res = paths['/v1/embeddings']['post']['responses']['200']['content']['application/json'];",
        "type Err = components['schemas']['ErrorEnvelopeDto'];",
        "const req: NonNullable<Req>['content']['application/json'] = { model: 'local/hash-8', input: 'hi' };",
        'export function first(r: Res): number { return r.data[0].index + r.usage.prompt_tokens; }',
        'export function code(e: Err): string { return e.error.code; }',
        'export { req };',
      ].join('\n'),
    );
    const diagnostics = await run(
      join(BIN, 'tsc'),
      ['--noEmit', '--strict', '--module', 'nodenext', '--skipLibCheck', 'client.ts'],
      {
        cwd: dir,
      },
    ).then(
      () => '',
      (err: { stdout?: string; message?: string }) => err.stdout ?? err.message ?? 'tsc failed',
    );
    expect(diagnostics).toBe('');
  });
});

describe('built server: configuration errors', () => {
  it('refuses to boot, listing every problem without printing secrets', async () => {
    const secret = 'sk-do-not-print-this-value-000';
    const r = await runToExit(
      { PORT: 'abc', REDIS_URL: 'http://nope', CACHE_ENCRYPTION_KEY: secret, HOST: '0.0.0.0' },
      process.cwd(),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/PORT: /);
    expect(r.stderr).toMatch(/REDIS_URL: /);
    expect(r.stderr).toMatch(/CACHE_ENCRYPTION_KEY: /);
    expect(r.stderr + r.stdout).not.toContain(secret);
  });

  it('refuses a non-loopback HOST without ADMIN_API_KEY', async () => {
    const r = await runToExit({ HOST: '0.0.0.0' }, process.cwd());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/HOST: .*ADMIN_API_KEY/);
  });
});
