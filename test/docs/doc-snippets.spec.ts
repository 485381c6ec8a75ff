import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import type { RedisClientType } from '@redis/client';
import { parseRoutingConfig } from '../../src/config/routing-config.js';
import { type DocBlock, docBlocksIn, missingOutputLine } from '../support/doc-snippets.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { AnthropicFake, OpenAiFake } from '../support/fakes/index.js';
import { closeTestRedis, connectTestRedis, uniqueKeyPrefix, unlinkPrefix } from '../support/redis-test-client.js';
import { startApp, type RunningApp } from '../support/test-app.js';
import { tempDir, testConfig } from '../support/test-config.js';
import { createFreshDatabase } from '../support/test-database.js';

/**
 * Runs every runnable block of docs/*.md (convention: docs/README.md, parser: test/support/doc-snippets.ts)
 * against a real gateway: PostgreSQL, Redis, the OpenAI and Anthropic fakes as upstreams, an admin key,
 * and the `GATEWAY_CONFIG` the docs show. Snippets see BASE_URL, API_KEY (an issued key) and
 * ADMIN_API_KEY; each must exit 0 and print what its output block says. DOC_TEST_SHOW=1 prints every
 * snippet's output (handy when writing the output blocks).
 */
const ROOT = resolve(__dirname, '../..');
const DOCS = join(ROOT, 'docs');
const ADMIN_API_KEY = 'doc-test-admin-key-0123456789';
const SNIPPET_TIMEOUT_MS = 30_000;

const blocks = docBlocksIn(DOCS);
const runnable = blocks.filter((b) => b.lang !== 'yaml');
const yamlBlocks = blocks.filter((b) => b.lang === 'yaml');

const where = (b: DocBlock): string => `docs/${b.file}:${b.line}`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<Run> {
  return new Promise((done) => {
    execFile(
      file,
      args,
      { env, cwd, timeout: SNIPPET_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

/** Browser snippets use the global `WebSocket`; Node 20 has none, so the `ws` package stands in. */
const BROWSER_PRELUDE = "import { WebSocket } from 'ws';\nglobalThis.WebSocket = WebSocket;\n";

/**
 * A browser snippet cannot read the environment: it declares `const BASE_URL = '…';` and
 * `const API_KEY = '…';` for the reader to fill in, and the test fills them in.
 */
function forBrowser(code: string, env: NodeJS.ProcessEnv): string {
  const filled = code.replace(
    /^const (BASE_URL|API_KEY) = '[^']*';/gm,
    (_line, name: string) => `const ${name} = ${JSON.stringify(env[name] ?? '')};`,
  );
  return `${BROWSER_PRELUDE}${filled}`;
}

function toModule(b: DocBlock, env: NodeJS.ProcessEnv): string {
  const body = b.lang === 'ts' || b.lang === 'typescript' ? transpile(b) : b.code;
  return b.flags.includes('browser') ? forBrowser(body, env) : body;
}

function transpile(b: DocBlock): string {
  const out = ts.transpileModule(b.code, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    reportDiagnostics: true,
    fileName: `${b.file}-${b.line}.ts`,
  });
  const problems = (out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  if (problems.length > 0) throw new Error(`${where(b)} does not transpile: ${problems.join('; ')}`);
  return out.outputText;
}

describe('documentation snippets', () => {
  let db: Awaited<ReturnType<typeof createFreshDatabase>>;
  let openai: OpenAiFake;
  let anthropic: AnthropicFake;
  let gw: RunningApp;
  let redis: RedisClientType;
  let work: string;
  let env: NodeJS.ProcessEnv;
  const prefix = uniqueKeyPrefix('docs');

  beforeAll(async () => {
    const gatewayYaml = yamlBlocks.filter((b) => b.flags.includes('gateway'));
    expect(gatewayYaml.map(where)).toHaveLength(1);
    const configDir = tempDir('slrg-docs-config-');
    const configPath = join(configDir, 'gateway.yaml');
    writeFileSync(configPath, gatewayYaml[0]?.code ?? '');

    openai = new OpenAiFake({ apiKey: 'sk-doc-openai' });
    anthropic = new AnthropicFake({ apiKey: 'sk-doc-anthropic' });
    await Promise.all([openai.start(), anthropic.start()]);
    [db, redis] = await Promise.all([createFreshDatabase(), connectTestRedis()]);
    gw = await startApp(
      testConfig({
        DATABASE_URL: db.url,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
        ADMIN_API_KEY,
        OPENAI_API_KEY: 'sk-doc-openai',
        OPENAI_BASE_URL: `${openai.url}/v1`,
        ANTHROPIC_API_KEY: 'sk-doc-anthropic',
        ANTHROPIC_BASE_URL: anthropic.url,
        GATEWAY_CONFIG: configPath,
        CACHE_DEFAULT_MODE: 'exact',
      }),
    );
    const issued = await fetch(`${gw.baseUrl}/api/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'doc-tests' }),
    });
    expect(issued.status).toBe(201);
    const { key } = (await issued.json()) as { key: string };

    // Snippets import `openai`, `ws`, `@langchain/openai` as a reader's project would: from node_modules.
    work = mkdtempSync(join(tmpdir(), 'slrg-doc-snippets-'));
    symlinkSync(join(ROOT, 'node_modules'), join(work, 'node_modules'), 'dir');
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      BASE_URL: gw.baseUrl,
      API_KEY: key,
      ADMIN_API_KEY,
    };
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await Promise.all([openai?.stop(), anthropic?.stop()]);
    if (redis) {
      await unlinkPrefix(redis, prefix);
      await closeTestRedis(redis);
    }
    await db?.drop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('finds runnable blocks, each with its expected output', () => {
    expect(runnable.length).toBeGreaterThan(0);
    expect(runnable.filter((b) => !b.expected?.length).map(where)).toEqual([]);
    const known = ['sh', 'bash', 'js', 'mjs', 'ts', 'typescript'];
    expect(runnable.filter((b) => !known.includes(b.lang)).map(where)).toEqual([]);
  });

  it('TypeScript blocks type-check against the installed packages', () => {
    const tsBlocks = runnable.filter((b) => b.lang === 'ts' || b.lang === 'typescript');
    const dir = mkdtempSync(join(work, 'tsc-'));
    const files = new Map(
      tsBlocks.map((b) => [join(dir, `${b.file.replace(/\W/g, '_')}-${b.line}.mts`), b] as const),
    );
    for (const [file, b] of files) writeFileSync(file, b.code);
    const program = ts.createProgram([...files.keys()], {
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const b = d.file ? files.get(d.file.fileName) : undefined;
      const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : 0;
      const at = b ? `docs/${b.file}:${b.line + 1 + line}` : (d.file?.fileName ?? '?');
      return `${at}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
    expect(problems).toEqual([]);
  });

  it.each(yamlBlocks.map((b) => [where(b), b] as const))('%s is a valid GATEWAY_CONFIG', (_name, b) => {
    // Any api_key_env the example names counts as set; every provider counts as configured.
    const anyEnv = new Proxy({}, { get: () => 'set-in-the-environment' });
    const config = parseRoutingConfig(b.code, anyEnv, new Set(['openai', 'anthropic', 'ollama', 'litellm']));
    expect(config.aliases.size).toBeGreaterThan(0);
  });

  it.each(runnable.map((b) => [`${where(b)} (${b.lang})`, b] as const))('%s', async (_name, b) => {
    let result: Run;
    if (b.lang === 'sh' || b.lang === 'bash') {
      result = await run('bash', ['-e', '-o', 'pipefail', '-c', b.code], env, work);
    } else {
      const file = join(work, `${b.file.replace(/\W/g, '_')}-${b.line}.mjs`);
      writeFileSync(file, toModule(b, env));
      result = await run(process.execPath, [file], env, work);
    }
    if (process.env.DOC_TEST_SHOW) process.stdout.write(`\n=== ${where(b)}\n${result.stdout}\n${result.stderr}`);
    const report = `${where(b)} exited ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`;
    if (result.code !== 0) throw new Error(report);
    const missing = missingOutputLine(b.expected ?? [], result.stdout);
    if (missing !== undefined) throw new Error(`expected output line not found: ${missing}\n${report}`);
  });
});
