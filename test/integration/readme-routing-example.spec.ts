import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRoutingConfig } from '../../src/config/routing-config.js';

/** The README's GATEWAY_CONFIG example is what users copy: it must stay a valid configuration. */
describe('README routing example', () => {
  const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Routing'));
  const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];

  it('parses, with the documented defaults and overrides', () => {
    expect(yaml).toBeDefined();
    const config = parseRoutingConfig(
      yaml ?? '',
      { OPENAI_KEY_EU: 'sk-eu' },
      new Set(['openai', 'anthropic', 'ollama']),
    );
    expect([...config.aliases.keys()]).toEqual(['fast', 'smart']);
    const smart = config.aliases.get('smart');
    expect(smart?.targets.map((t) => t.id)).toEqual(['openai/gpt-4o', 'gpt-4o-eu', 'ollama/llama3.2']);
    expect(smart?.targets[1]?.apiKey).toBe('sk-eu');
    expect(smart?.policy.retries).toEqual({ rate_limit: 2, unavailable: 1, timeout: 0, server_error: 1 });
    expect(smart?.policy.cooldown).toEqual({ failures: 3, windowMs: 60_000, durationMs: 60_000 });
    expect(config.aliases.get('fast')?.targets.map((t) => t.weight)).toEqual([3, 1]);
  });

  it('names every problem when the environment does not match it', () => {
    expect(() => parseRoutingConfig(yaml ?? '', {}, new Set(['ollama']))).toThrow(
      /fast\.targets\.0\.model: provider 'openai' is not configured.*smart\.targets\.1\.api_key_env: OPENAI_KEY_EU is not set/s,
    );
  });
});
