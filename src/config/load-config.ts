import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import type { AppConfig } from './app-config.js';
import { envSchema, type ParsedEnv } from './config.schema.js';
import { basePolicy, loadRoutingConfig, type RoutingConfig, RoutingConfigError } from './routing-config.js';

/** Thrown when the environment is invalid; `problems` lists every one, never a value. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '0:0:0:0:0:0:0:1';
}

/**
 * Reads `.env` from `cwd` (the process environment wins over it), validates everything at once and
 * returns the typed tree. This is the only place that reads `process.env`.
 */
export function loadAppConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): AppConfig {
  const envFile = resolve(cwd, '.env');
  const fromFile = existsSync(envFile) ? parseDotenv(readFileSync(envFile)) : {};
  return parseAppConfig({ ...fromFile, ...env });
}

export function parseAppConfig(env: Record<string, string | undefined>): AppConfig {
  const result = envSchema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = result.data;
  const problems: string[] = [];
  if (e.CHUNK_OVERLAP_TOKENS >= e.CHUNK_TOKENS) {
    problems.push('CHUNK_OVERLAP_TOKENS: must be smaller than CHUNK_TOKENS');
  }
  if (!e.ADMIN_API_KEY && !isLoopbackHost(e.HOST)) {
    problems.push(
      `HOST: listening on a non-loopback address requires ADMIN_API_KEY (auth is off without it)`,
    );
  }
  const reload = routingLoader(e, env);
  let routing: RoutingConfig = {
    defaults: basePolicy(e.UPSTREAM_TIMEOUT_MS, e.UPSTREAM_IDLE_TIMEOUT_MS),
    aliases: new Map(),
  };
  try {
    routing = reload();
  } catch (err) {
    if (!(err instanceof RoutingConfigError)) throw err;
    problems.push(...err.problems.map((p) => `GATEWAY_CONFIG: ${p}`));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return toTree(e, { path: e.GATEWAY_CONFIG, config: routing, reload });
}

/** Providers the environment gave credentials (Ollama needs none). */
function configuredProviders(e: ParsedEnv): Set<string> {
  const set = new Set(['ollama']);
  if (e.OPENAI_API_KEY) set.add('openai');
  if (e.ANTHROPIC_API_KEY) set.add('anthropic');
  if (e.LITELLM_BASE_URL) set.add('litellm');
  return set;
}

function routingLoader(e: ParsedEnv, env: Record<string, string | undefined>): () => RoutingConfig {
  const path = e.GATEWAY_CONFIG;
  const base = basePolicy(e.UPSTREAM_TIMEOUT_MS, e.UPSTREAM_IDLE_TIMEOUT_MS);
  if (!path) return () => ({ defaults: base, aliases: new Map() });
  const snapshot = { ...env };
  const configured = configuredProviders(e);
  return () => loadRoutingConfig(resolve(path), snapshot, configured, base);
}

function toTree(e: ParsedEnv, routing: AppConfig['routing']): AppConfig {
  return {
    server: {
      host: e.HOST,
      port: e.PORT,
      maxBodyBytes: e.MAX_BODY_BYTES,
      shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
      logLevel: e.LOG_LEVEL,
    },
    auth: { adminApiKey: e.ADMIN_API_KEY },
    database: {
      url: e.DATABASE_URL,
      dataDir: resolve(e.DATA_DIR),
      migrateOnBoot: e.DB_MIGRATE_ON_BOOT,
      poolSize: e.DB_POOL_SIZE,
    },
    redis: { url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX },
    providers: {
      openai: { apiKey: e.OPENAI_API_KEY, baseUrl: e.OPENAI_BASE_URL },
      anthropic: { apiKey: e.ANTHROPIC_API_KEY, baseUrl: e.ANTHROPIC_BASE_URL },
      ollama: { baseUrl: e.OLLAMA_BASE_URL },
      litellm: { apiKey: e.LITELLM_API_KEY, baseUrl: e.LITELLM_BASE_URL },
      poolConnections: e.UPSTREAM_POOL_CONNECTIONS,
      timeoutMs: e.UPSTREAM_TIMEOUT_MS,
      idleTimeoutMs: e.UPSTREAM_IDLE_TIMEOUT_MS,
    },
    limits: {
      globalRpm: e.RATE_LIMIT_GLOBAL_RPM,
      rateFailMode: e.RATE_LIMIT_FAIL_MODE,
      budgetFailMode: e.BUDGET_FAIL_MODE,
    },
    usage: { flushIntervalMs: e.USAGE_FLUSH_INTERVAL_MS },
    routing,
    embeddingModel: e.EMBEDDING_MODEL,
    cache: {
      defaultMode: e.CACHE_DEFAULT_MODE,
      encryptionKey: e.CACHE_ENCRYPTION_KEY,
      oldEncryptionKeys: e.CACHE_ENCRYPTION_KEYS_OLD,
      ttlSeconds: e.CACHE_TTL_SECONDS,
      memory: {
        maxEntries: e.CACHE_MEMORY_MAX_ENTRIES,
        maxBytes: e.CACHE_MEMORY_MAX_BYTES,
        policy: e.CACHE_MEMORY_POLICY,
      },
      compressMinBytes: e.CACHE_COMPRESS_MIN_BYTES,
    },
    documents: {
      maxBytes: e.DOCUMENT_MAX_BYTES,
      chunkTokens: e.CHUNK_TOKENS,
      chunkOverlapTokens: e.CHUNK_OVERLAP_TOKENS,
      embedBatchSize: e.EMBED_BATCH_SIZE,
      embedConcurrency: e.EMBED_CONCURRENCY,
      queueMax: e.INGEST_QUEUE_MAX,
      ingestConcurrency: e.INGEST_CONCURRENCY,
      efSearch: e.VECTOR_EF_SEARCH,
    },
    websocket: {
      heartbeatMs: e.WS_HEARTBEAT_INTERVAL_MS,
      maxMessageBytes: e.WS_MAX_MESSAGE_BYTES,
      maxBufferedBytes: e.WS_MAX_BUFFERED_BYTES,
      maxRequestsPerSocket: e.WS_MAX_REQUESTS_PER_SOCKET,
    },
  };
}
