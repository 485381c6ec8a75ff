import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { z } from 'zod';

/** Providers a target may name (the `<provider>` prefix of its model). */
export const ROUTABLE_PROVIDERS = ['openai', 'anthropic', 'ollama', 'litellm'] as const;
export type RoutableProvider = (typeof ROUTABLE_PROVIDERS)[number];

export const STRATEGIES = ['fallback', 'weighted', 'least-busy', 'latency'] as const;
export type RouteStrategy = (typeof STRATEGIES)[number];

/** Failure kinds a retry count can be set for (CONTRACT §5 codes grouped by what a retry can fix). */
export const RETRY_KINDS = ['rate_limit', 'unavailable', 'timeout', 'server_error'] as const;
export type RetryKind = (typeof RETRY_KINDS)[number];

export interface RoutePolicy {
  /** Extra passes over the targets after every target failed, by the kind of the last failure. */
  readonly retries: Readonly<Record<RetryKind, number>>;
  readonly backoff: {
    readonly baseMs: number;
    readonly maxMs: number;
    /** A longer `Retry-After` is not waited for: the error goes back to the client. */
    readonly retryAfterCapMs: number;
  };
  readonly timeouts: {
    readonly connectMs: number;
    readonly firstByteMs: number;
    readonly idleMs: number;
    readonly totalMs: number;
  };
  readonly cooldown: {
    /** Failures within `windowMs` that cool a target down; 0 turns cooldowns off. */
    readonly failures: number;
    readonly windowMs: number;
    readonly durationMs: number;
  };
}

export interface TargetConfig {
  /** Unique name of the deployment; shares health and latency state wherever it appears. */
  readonly id: string;
  readonly provider: RoutableProvider;
  /** The upstream's model name. */
  readonly model: string;
  readonly weight: number;
  readonly baseUrl?: string;
  /** The key itself, read from the environment variable the target names. */
  readonly apiKey?: string;
  readonly apiKeyEnv?: string;
}

export interface AliasConfig {
  readonly name: string;
  readonly strategy: RouteStrategy;
  readonly targets: readonly TargetConfig[];
  readonly policy: RoutePolicy;
}

export interface RoutingConfig {
  /** Applies to request-level `fallbacks` chains and is the base of every alias's policy. */
  readonly defaults: RoutePolicy;
  readonly aliases: ReadonlyMap<string, AliasConfig>;
}

/** First byte and idle default to `UPSTREAM_TIMEOUT_MS` and `UPSTREAM_IDLE_TIMEOUT_MS` (see `basePolicy`). */
export const DEFAULT_POLICY: RoutePolicy = {
  retries: { rate_limit: 1, unavailable: 1, timeout: 0, server_error: 1 },
  backoff: { baseMs: 250, maxMs: 5000, retryAfterCapMs: 30_000 },
  timeouts: { connectMs: 5000, firstByteMs: 120_000, idleMs: 60_000, totalMs: 600_000 },
  cooldown: { failures: 5, windowMs: 60_000, durationMs: 30_000 },
};

const ms = (max: number) => z.number().int().min(1).max(max);
const count = z.number().int().min(0).max(100);

const retriesSchema = z.strictObject({
  rate_limit: count.optional(),
  unavailable: count.optional(),
  timeout: count.optional(),
  server_error: count.optional(),
});
const backoffSchema = z.strictObject({
  base_ms: ms(600_000).optional(),
  max_ms: ms(600_000).optional(),
  retry_after_cap_ms: z.number().int().min(0).max(3_600_000).optional(),
});
const timeoutsSchema = z.strictObject({
  connect_ms: ms(600_000).optional(),
  first_byte_ms: ms(3_600_000).optional(),
  idle_ms: ms(3_600_000).optional(),
  total_ms: ms(24 * 3_600_000).optional(),
});
const cooldownSchema = z.strictObject({
  failures: count.optional(),
  window_s: z.number().positive().max(86_400).optional(),
  duration_s: z.number().positive().max(86_400).optional(),
});
const policySchema = {
  retries: retriesSchema.optional(),
  backoff: backoffSchema.optional(),
  timeouts: timeoutsSchema.optional(),
  cooldown: cooldownSchema.optional(),
};

const targetSchema = z.strictObject({
  model: z.string().regex(/^[a-z0-9-]+\/\S+$/, { message: 'must be <provider>/<model>' }),
  name: z
    .string()
    .regex(/^[\w.:@/-]+$/, { message: 'may hold letters, digits and . : @ / _ -' })
    .optional(),
  weight: z.number().int().min(1).max(1_000_000).optional(),
  base_url: z
    .string()
    .refine((v) => /^https?:\/\/[^/]/.test(v), { message: 'must be an http(s) URL' })
    .optional(),
  api_key_env: z
    .string()
    .regex(/^[A-Z_][A-Z0-9_]*$/, { message: 'must be an environment variable name' })
    .optional(),
});

const aliasSchema = z.strictObject({
  strategy: z.enum(STRATEGIES).optional(),
  targets: z.array(targetSchema).min(1, { message: 'needs at least one target' }).max(64),
  ...policySchema,
});

const routingSchema = z.strictObject(policySchema).optional();
const ALIAS_NAME = /^[A-Za-z0-9][\w.:-]{0,127}$/;
const TOP_LEVEL = new Set(['routing', 'aliases']);

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function issues(prefix: string, error: z.ZodError): string[] {
  return error.issues.map(
    (i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join('.') || '(top level)'}: ${i.message}`,
  );
}

type PolicyInput = z.infer<z.ZodObject<typeof policySchema>>;

function mergePolicy(base: RoutePolicy, p: PolicyInput | undefined): RoutePolicy {
  if (!p) return base;
  return {
    retries: { ...base.retries, ...definedOnly(p.retries ?? {}) },
    backoff: {
      baseMs: p.backoff?.base_ms ?? base.backoff.baseMs,
      maxMs: p.backoff?.max_ms ?? base.backoff.maxMs,
      retryAfterCapMs: p.backoff?.retry_after_cap_ms ?? base.backoff.retryAfterCapMs,
    },
    timeouts: {
      connectMs: p.timeouts?.connect_ms ?? base.timeouts.connectMs,
      firstByteMs: p.timeouts?.first_byte_ms ?? base.timeouts.firstByteMs,
      idleMs: p.timeouts?.idle_ms ?? base.timeouts.idleMs,
      totalMs: p.timeouts?.total_ms ?? base.timeouts.totalMs,
    },
    cooldown: {
      failures: p.cooldown?.failures ?? base.cooldown.failures,
      windowMs: p.cooldown?.window_s === undefined ? base.cooldown.windowMs : p.cooldown.window_s * 1000,
      durationMs:
        p.cooldown?.duration_s === undefined ? base.cooldown.durationMs : p.cooldown.duration_s * 1000,
    },
  };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Thrown with every problem in the file; messages name the path and never a secret. */
export class RoutingConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'RoutingConfigError';
  }
}

/**
 * Parses and validates a `GATEWAY_CONFIG` document. `env` resolves `api_key_env`; `configured`
 * says which providers the environment set up (a target of another provider has no credentials).
 */
export function parseRoutingConfig(
  text: string,
  env: Readonly<Record<string, string | undefined>>,
  configured: ReadonlySet<string>,
  base: RoutePolicy = DEFAULT_POLICY,
): RoutingConfig {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new RoutingConfigError(doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`));
  }
  // Each part is checked on its own, so one mistake does not hide the others.
  const raw: unknown = doc.toJS() ?? {};
  if (!isMapping(raw))
    throw new RoutingConfigError(['(top level): must be a mapping with routing and aliases']);
  const problems: string[] = Object.keys(raw)
    .filter((k) => !TOP_LEVEL.has(k))
    .map((k) => `${k}: unknown key (expected routing, aliases)`);
  const routing = routingSchema.safeParse(raw.routing);
  if (!routing.success) problems.push(...issues('routing', routing.error));
  const defaults = mergePolicy(base, routing.success ? routing.data : undefined);
  const aliases = new Map<string, AliasConfig>();
  const rawAliases = raw.aliases ?? {};
  if (!isMapping(rawAliases)) problems.push('aliases: must be a mapping of alias names to their settings');
  for (const [name, value] of Object.entries(isMapping(rawAliases) ? rawAliases : {})) {
    if (!ALIAS_NAME.test(name)) {
      // "/" marks <provider>/<model>: an alias with one could shadow or be shadowed by a model.
      const why = name.includes('/')
        ? 'alias names may not contain "/"'
        : 'alias names are letters, digits and . : _ - (up to 128)';
      problems.push(`aliases.${name}: ${why}`);
    }
    const parsed = aliasSchema.safeParse(value);
    if (!parsed.success) {
      problems.push(...issues(`aliases.${name}`, parsed.error));
      continue;
    }
    const a = parsed.data;
    const policy = mergePolicy(defaults, a);
    if (policy.backoff.baseMs > policy.backoff.maxMs) {
      problems.push(`aliases.${name}.backoff: base_ms is larger than max_ms`);
    }
    const targets: TargetConfig[] = [];
    const ids = new Set<string>();
    for (const [i, t] of a.targets.entries()) {
      const where = `aliases.${name}.targets.${i}`;
      const slash = t.model.indexOf('/');
      const provider = t.model.slice(0, slash);
      const model = t.model.slice(slash + 1);
      if (!(ROUTABLE_PROVIDERS as readonly string[]).includes(provider)) {
        problems.push(`${where}.model: unknown provider '${provider}' (${ROUTABLE_PROVIDERS.join(', ')})`);
        continue;
      }
      const apiKey = t.api_key_env === undefined ? undefined : env[t.api_key_env];
      if (t.api_key_env !== undefined && !apiKey) {
        problems.push(`${where}.api_key_env: ${t.api_key_env} is not set`);
      }
      const ownCredentials =
        provider === 'ollama' || apiKey !== undefined || (provider === 'litellm' && t.base_url);
      if (!ownCredentials && !configured.has(provider)) {
        problems.push(
          `${where}.model: provider '${provider}' is not configured (set its API key or api_key_env)`,
        );
      }
      const id = t.name ?? (t.base_url ? `${t.model}@${new URL(t.base_url).host}` : t.model);
      if (ids.has(id)) problems.push(`${where}: duplicate target '${id}' (give each a distinct name)`);
      ids.add(id);
      targets.push({
        id,
        provider: provider as RoutableProvider,
        model,
        weight: t.weight ?? 1,
        baseUrl: t.base_url,
        apiKey,
        apiKeyEnv: t.api_key_env,
      });
    }
    aliases.set(name, { name, strategy: a.strategy ?? 'fallback', targets, policy });
  }
  if (problems.length > 0) throw new RoutingConfigError(problems);
  return { defaults, aliases };
}

/** Reads and parses the file; read errors are reported like validation problems. */
export function loadRoutingConfig(
  path: string,
  env: Readonly<Record<string, string | undefined>>,
  configured: ReadonlySet<string>,
  base: RoutePolicy = DEFAULT_POLICY,
): RoutingConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'unreadable';
    throw new RoutingConfigError([`cannot read ${path} (${code})`]);
  }
  return parseRoutingConfig(text, env, configured, base);
}

/** The defaults with the timeouts the environment set for every upstream call. */
export function basePolicy(upstreamTimeoutMs: number, upstreamIdleTimeoutMs: number): RoutePolicy {
  return {
    ...DEFAULT_POLICY,
    timeouts: { ...DEFAULT_POLICY.timeouts, firstByteMs: upstreamTimeoutMs, idleMs: upstreamIdleTimeoutMs },
  };
}
