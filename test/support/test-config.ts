import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppConfig } from '../../src/config/app-config.js';
import { parseAppConfig } from '../../src/config/load-config.js';

export function tempDir(prefix = 'slrg-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A config as the server would build it from `env`, quiet and on a random port by default. The
 * response cache is off unless a test turns it on: most tests count upstream calls.
 */
export function testConfig(env: Record<string, string | undefined> = {}): AppConfig {
  return parseAppConfig({
    PORT: '0',
    LOG_LEVEL: 'silent',
    DATA_DIR: tempDir(),
    CACHE_DEFAULT_MODE: 'off',
    ...env,
  });
}
