import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseAppConfig } from './load-config.js';
import {
  DEFAULT_POLICY,
  loadRoutingConfig,
  parseRoutingConfig,
  type RoutingConfig,
  RoutingConfigError,
} from './routing-config.js';

const ALL = new Set(['openai', 'anthropic', 'ollama', 'litellm']);

function parse(
  yaml: string,
  env: Record<string, string> = {},
  configured: ReadonlySet<string> = ALL,
): RoutingConfig {
  return parseRoutingConfig(yaml, env, configured);
}

function problemsOf(
  yaml: string,
  env: Record<string, string> = {},
  configured: ReadonlySet<string> = ALL,
): readonly string[] {
  try {
    parse(yaml, env, configured);
  } catch (err) {
    if (err instanceof RoutingConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a RoutingConfigError');
}

describe('GATEWAY_CONFIG parsing', () => {
  it('accepts an empty file: no aliases, the default policy', () => {
    for (const text of ['', '# only a comment\n', '{}']) {
      const c = parse(text);
      expect(c.aliases.size).toBe(0);
      expect(c.defaults).toEqual(DEFAULT_POLICY);
    }
  });

  it('fills target and alias defaults', () => {
    const c = parse(`
aliases:
  fast:
    targets:
      - model: openai/gpt-4o-mini
`);
    const fast = c.aliases.get('fast');
    expect(fast).toMatchObject({ name: 'fast', strategy: 'fallback', policy: DEFAULT_POLICY });
    expect(fast?.targets).toEqual([
      {
        id: 'openai/gpt-4o-mini',
        provider: 'openai',
        model: 'gpt-4o-mini',
        weight: 1,
        baseUrl: undefined,
        apiKey: undefined,
        apiKeyEnv: undefined,
      },
    ]);
  });

  it('merges the policy: defaults, then routing:, then the alias, field by field', () => {
    const c = parse(`
routing:
  retries: { rate_limit: 3 }
  backoff: { base_ms: 100 }
  cooldown: { failures: 2, window_s: 10 }
aliases:
  a:
    retries: { timeout: 2 }
    timeouts: { first_byte_ms: 1500 }
    cooldown: { duration_s: 0.5 }
    targets: [{ model: openai/gpt-4o-mini }]
  b:
    targets: [{ model: openai/gpt-4o-mini }]
`);
    expect(c.defaults.retries).toEqual({ ...DEFAULT_POLICY.retries, rate_limit: 3 });
    expect(c.defaults.backoff).toEqual({ ...DEFAULT_POLICY.backoff, baseMs: 100 });
    expect(c.aliases.get('b')?.policy).toEqual(c.defaults);
    const a = c.aliases.get('a')?.policy;
    expect(a?.retries).toEqual({ ...DEFAULT_POLICY.retries, rate_limit: 3, timeout: 2 });
    expect(a?.timeouts).toEqual({ ...DEFAULT_POLICY.timeouts, firstByteMs: 1500 });
    expect(a?.cooldown).toEqual({ failures: 2, windowMs: 10_000, durationMs: 500 });
  });

  it('names targets by name, else by model and base_url host, else by model', () => {
    const c = parse(
      `
aliases:
  x:
    strategy: weighted
    targets:
      - { model: openai/gpt-4o-mini, name: primary, weight: 3 }
      - { model: openai/gpt-4o-mini, base_url: 'http://10.0.0.2:8000/v1', api_key_env: SECOND_KEY }
      - { model: anthropic/claude-sonnet-4-5 }
`,
      { SECOND_KEY: 'sk-second' },
    );
    const x = c.aliases.get('x');
    expect(x?.strategy).toBe('weighted');
    expect(x?.targets.map((t) => [t.id, t.weight])).toEqual([
      ['primary', 3],
      ['openai/gpt-4o-mini@10.0.0.2:8000', 1],
      ['anthropic/claude-sonnet-4-5', 1],
    ]);
    expect(x?.targets[1]).toMatchObject({
      apiKey: 'sk-second',
      apiKeyEnv: 'SECOND_KEY',
      baseUrl: 'http://10.0.0.2:8000/v1',
    });
  });

  it('reports an api_key_env that is not set, without any secret', () => {
    expect(
      problemsOf(`
aliases:
  x:
    targets: [{ model: openai/gpt-4o-mini, api_key_env: MISSING_KEY }]
`),
    ).toEqual(['aliases.x.targets.0.api_key_env: MISSING_KEY is not set']);
  });

  it('reports a target whose provider the environment did not configure', () => {
    const yaml = `
aliases:
  x:
    targets:
      - model: anthropic/claude-sonnet-4-5
      - model: ollama/llama3.2
      - model: litellm/team
        base_url: http://litellm:4000
      - model: openai/gpt-4o-mini
        api_key_env: OWN_KEY
`;
    expect(problemsOf(yaml, { OWN_KEY: 'sk-own' }, new Set(['ollama']))).toEqual([
      "aliases.x.targets.0.model: provider 'anthropic' is not configured (set its API key or api_key_env)",
    ]);
  });

  it('reports an unknown provider and a duplicate target', () => {
    expect(
      problemsOf(`
aliases:
  x:
    targets:
      - model: nowhere/m
      - model: openai/gpt-4o-mini
      - model: openai/gpt-4o-mini
`),
    ).toEqual([
      "aliases.x.targets.0.model: unknown provider 'nowhere' (openai, anthropic, ollama, litellm)",
      "aliases.x.targets.2: duplicate target 'openai/gpt-4o-mini' (give each a distinct name)",
    ]);
  });

  it('lists every semantic problem of every alias at once', () => {
    const problems = problemsOf(`
routing:
  backoff: { base_ms: 500, max_ms: 100 }
aliases:
  a:
    targets: [{ model: nowhere/m }]
  b:
    targets: [{ model: openai/gpt-4o-mini, api_key_env: NOPE }]
`);
    expect(problems).toEqual([
      'aliases.a.backoff: base_ms is larger than max_ms',
      "aliases.a.targets.0.model: unknown provider 'nowhere' (openai, anthropic, ollama, litellm)",
      'aliases.b.backoff: base_ms is larger than max_ms',
      'aliases.b.targets.0.api_key_env: NOPE is not set',
    ]);
  });

  it('reports schema problems by path: unknown keys, bad values, an empty target list', () => {
    const problems = problemsOf(`
routing:
  retries: { rate_limit: -1, forever: 3 }
aliases:
  a:
    strategy: fastest
    targets: []
  b:
    targets: [{ model: gpt-4o-mini, weight: 0, base_url: 'ftp://x', api_key_env: 'sk-live-123' }]
`);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^routing\.retries\.rate_limit: /),
        expect.stringMatching(/^routing\.retries: .*forever/),
        expect.stringMatching(/^aliases\.a\.strategy: /),
        'aliases.a.targets: needs at least one target',
        'aliases.b.targets.0.model: must be <provider>/<model>',
        expect.stringMatching(/^aliases\.b\.targets\.0\.weight: /),
        'aliases.b.targets.0.base_url: must be an http(s) URL',
        'aliases.b.targets.0.api_key_env: must be an environment variable name',
      ]),
    );
    expect(problems).toHaveLength(8);
    // A key pasted where its variable's name belongs is not echoed back.
    expect(problems.join('\n')).not.toContain('sk-live-123');
  });

  it('says why an alias name is refused, and still checks that alias', () => {
    const problems = problemsOf(`
aliases:
  openai/gpt-4o:
    targets: [{ model: gpt-4o }]
`);
    expect(problems).toEqual(
      expect.arrayContaining([
        'aliases.openai/gpt-4o: alias names may not contain "/"',
        'aliases.openai/gpt-4o.targets.0.model: must be <provider>/<model>',
      ]),
    );
  });

  it('reports schema problems and semantic problems of a file together (every problem listed)', () => {
    // STYLE §5: one message per problem. The schema problem in `a` must not hide the one in `b`.
    const problems = problemsOf(`
aliases:
  a:
    strategy: fastest
    targets: [{ model: openai/gpt-4o-mini }]
  b:
    targets: [{ model: nowhere/m }]
`);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^aliases\.a\.strategy: /),
        "aliases.b.targets.0.model: unknown provider 'nowhere' (openai, anthropic, ollama, litellm)",
      ]),
    );
  });

  it('reports YAML syntax errors and duplicate keys', () => {
    expect(problemsOf('aliases: [unclosed')[0]).toMatch(/^YAML: /);
    const dup = problemsOf(`
aliases:
  x:
    targets: [{ model: openai/gpt-4o-mini }]
  x:
    targets: [{ model: openai/gpt-4o-mini }]
`);
    expect(dup[0]).toMatch(/^YAML: .*unique/i);
  });

  it('reports a file that cannot be read', () => {
    expect(() => loadRoutingConfig('/nonexistent/gw.yaml', {}, ALL)).toThrow(
      new RoutingConfigError(['cannot read /nonexistent/gw.yaml (ENOENT)']),
    );
  });

  it('is part of the boot config: problems are prefixed GATEWAY_CONFIG and listed with the environment ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'routing-config-'));
    const path = join(dir, 'gw.yaml');
    writeFileSync(path, 'aliases:\n  x:\n    targets: [{ model: anthropic/claude-sonnet-4-5 }]\n');
    let problems: readonly string[] = [];
    try {
      parseAppConfig({ GATEWAY_CONFIG: path, HOST: '0.0.0.0' });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems = err.problems;
    }
    expect(problems).toEqual([
      expect.stringMatching(/^HOST: /),
      "GATEWAY_CONFIG: aliases.x.targets.0.model: provider 'anthropic' is not configured (set its API key or api_key_env)",
    ]);
    const ok = parseAppConfig({ GATEWAY_CONFIG: path, ANTHROPIC_API_KEY: 'sk-ant' });
    expect(ok.routing.path).toBe(path);
    expect([...ok.routing.config.aliases.keys()]).toEqual(['x']);
    // SIGHUP re-reads the same file with the environment of the boot.
    writeFileSync(path, 'aliases:\n  y:\n    targets: [{ model: anthropic/claude-sonnet-4-5 }]\n');
    expect([...ok.routing.reload().aliases.keys()]).toEqual(['y']);
  });
});
