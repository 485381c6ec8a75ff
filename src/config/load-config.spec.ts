import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, isLoopbackHost, loadAppConfig, parseAppConfig } from './load-config.js';

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    parseAppConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('applies the contract defaults to an empty environment', () => {
    const c = parseAppConfig({});
    expect(c.server).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      maxBodyBytes: 10 * 1024 * 1024,
      shutdownTimeoutMs: 10_000,
    });
    expect(c.database.url).toBeUndefined();
    expect(c.database.dataDir).toMatch(/data$/);
    expect(c.redis.url).toBeUndefined();
    expect(c.providers.openai.baseUrl).toBe('https://api.openai.com/v1');
    expect(c.providers.anthropic.baseUrl).toBe('https://api.anthropic.com');
    expect(c.providers.ollama.baseUrl).toBe('http://127.0.0.1:11434');
    expect(c.embeddingModel).toBe('local/hash-384');
    expect(c.cache.defaultMode).toBe('exact');
    expect(c.auth.adminApiKey).toBeUndefined();
  });

  it('treats empty strings as unset', () => {
    const c = parseAppConfig({
      DATABASE_URL: '',
      REDIS_URL: '',
      PORT: '',
      CACHE_ENCRYPTION_KEY: '',
      LITELLM_BASE_URL: '',
    });
    expect(c.database.url).toBeUndefined();
    expect(c.server.port).toBe(3000);
  });

  it('lists every problem at once, naming the variable', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      DATABASE_URL: 'mysql://x',
      REDIS_URL: 'not a url',
      CACHE_ENCRYPTION_KEY: 'c2hvcnQ=',
      LOG_LEVEL: 'loud',
      CACHE_DEFAULT_MODE: 'sometimes',
    });
    const vars = problems.map((p) => p.split(':')[0]);
    expect(vars.sort()).toEqual([
      'CACHE_DEFAULT_MODE',
      'CACHE_ENCRYPTION_KEY',
      'DATABASE_URL',
      'LOG_LEVEL',
      'PORT',
      'REDIS_URL',
    ]);
  });

  it('never echoes a value, secret or not', () => {
    const secret = 'sk-live-THIS-MUST-NOT-LEAK-1234567890';
    const problems = problemsOf({
      ADMIN_API_KEY: 'short',
      DATABASE_URL: `ftp://u:${secret}@h/db`,
      CACHE_ENCRYPTION_KEY: secret,
    });
    const text = problems.join('\n');
    expect(text).toContain('ADMIN_API_KEY');
    expect(text).not.toContain(secret);
    expect(text).not.toContain('short');
  });

  it('refuses a non-loopback HOST without ADMIN_API_KEY', () => {
    expect(problemsOf({ HOST: '0.0.0.0' })).toEqual([expect.stringMatching(/^HOST: .*ADMIN_API_KEY/)]);
    expect(parseAppConfig({ HOST: '0.0.0.0', ADMIN_API_KEY: 'a'.repeat(32) }).server.host).toBe('0.0.0.0');
    expect(parseAppConfig({ HOST: 'localhost' }).server.host).toBe('localhost');
  });

  it('recognises loopback addresses', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '10.0.0.1', '::', 'example.com'].some(isLoopbackHost)).toBe(false);
  });

  it('decodes the cache key and reads .env with the process environment winning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const key = Buffer.alloc(32, 7).toString('base64');
    writeFileSync(join(dir, '.env'), `PORT=4100\nCACHE_ENCRYPTION_KEY=${key}\nLOG_LEVEL=debug\n`);
    const c = loadAppConfig({ LOG_LEVEL: 'warn' }, dir);
    expect(c.server.port).toBe(4100);
    expect(c.server.logLevel).toBe('warn');
    expect(c.cache.encryptionKey).toEqual(Buffer.alloc(32, 7));
  });
});
