import { isIP } from 'node:net';
import { z } from 'zod';

/** Empty strings count as unset, so `FOO=` in a compose file or `.env` behaves like no `FOO`. */
const optionalString = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());

const url = (protocols: readonly string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL (${protocols.join(' or ')})` },
  );

const optionalUrl = (protocols: readonly string[]) =>
  z.preprocess((v) => (v === '' ? undefined : v), url(protocols).optional());

const withDefault = <T extends z.ZodType>(schema: T, fallback: string) =>
  z.preprocess((v) => (v === undefined || v === '' ? fallback : v), schema);

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: 'must be a whole number' })
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, { message: `must be at least ${min}` })
        .max(max, { message: `must be at most ${max}` }),
    );

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const base64Key32 = z
  .string()
  .refine((v) => /^[A-Za-z0-9+/]+={0,2}$/.test(v) && Buffer.from(v, 'base64').length === 32, {
    message: 'must be a base64-encoded 32-byte key',
  })
  .transform((v) => Buffer.from(v, 'base64'));

const host = z.string().refine((v) => v === 'localhost' || isIP(v) !== 0 || /^[a-zA-Z0-9.-]+$/.test(v), {
  message: 'must be an IP address or host name',
});

const http = ['http:', 'https:'] as const;

/** Every environment variable the gateway reads, with its default. `.env.example` documents the same set. */
export const envSchema = z.object({
  HOST: withDefault(host, '127.0.0.1'),
  PORT: withDefault(int(0, 65535), '3000'),
  MAX_BODY_BYTES: withDefault(int(1024, 1024 * 1024 * 1024), String(10 * 1024 * 1024)),
  SHUTDOWN_TIMEOUT_MS: withDefault(int(0, 600_000), '10000'),
  LOG_LEVEL: withDefault(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info'),
  ADMIN_API_KEY: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.string().min(16, { message: 'must be at least 16 characters' }).optional(),
  ),
  DATABASE_URL: optionalUrl(['postgres:', 'postgresql:']),
  DATA_DIR: withDefault(z.string().min(1), './data'),
  DB_MIGRATE_ON_BOOT: withDefault(bool, 'true'),
  DB_POOL_SIZE: withDefault(int(1, 200), '10'),
  REDIS_URL: optionalUrl(['redis:', 'rediss:']),
  REDIS_KEY_PREFIX: withDefault(
    z.string().regex(/^[a-zA-Z0-9:_-]*$/, { message: 'may hold only letters, digits, : _ -' }),
    'slrg:',
  ),
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: withDefault(url(http), 'https://api.openai.com/v1'),
  ANTHROPIC_API_KEY: optionalString,
  ANTHROPIC_BASE_URL: withDefault(url(http), 'https://api.anthropic.com'),
  OLLAMA_BASE_URL: withDefault(url(http), 'http://127.0.0.1:11434'),
  LITELLM_BASE_URL: optionalUrl(http),
  LITELLM_API_KEY: optionalString,
  UPSTREAM_POOL_CONNECTIONS: withDefault(int(1, 1024), '64'),
  UPSTREAM_TIMEOUT_MS: withDefault(int(100, 3_600_000), '120000'),
  UPSTREAM_IDLE_TIMEOUT_MS: withDefault(int(100, 3_600_000), '60000'),
  GATEWAY_CONFIG: optionalString,
  EMBEDDING_MODEL: withDefault(
    z.string().regex(/^[a-z0-9-]+\/\S+$/, { message: 'must be <provider>/<model>, e.g. local/hash-384' }),
    'local/hash-384',
  ),
  RATE_LIMIT_GLOBAL_RPM: withDefault(int(0, 100_000_000), '0'),
  RATE_LIMIT_FAIL_MODE: withDefault(z.enum(['open', 'closed']), 'open'),
  BUDGET_FAIL_MODE: withDefault(z.enum(['open', 'closed']), 'closed'),
  USAGE_FLUSH_INTERVAL_MS: withDefault(int(50, 60_000), '250'),
  CACHE_DEFAULT_MODE: withDefault(z.enum(['exact', 'semantic', 'off']), 'exact'),
  CACHE_ENCRYPTION_KEY: z.preprocess((v) => (v === '' ? undefined : v), base64Key32.optional()),
  CACHE_ENCRYPTION_KEYS_OLD: withDefault(
    z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((k) => k.trim())
          .filter((k) => k.length > 0),
      )
      .pipe(z.array(base64Key32)),
    ' ',
  ),
  CACHE_TTL_SECONDS: withDefault(int(1, 365 * 86_400), '3600'),
  CACHE_MEMORY_MAX_ENTRIES: withDefault(int(0, 10_000_000), '10000'),
  CACHE_MEMORY_MAX_BYTES: withDefault(int(0, 64 * 1024 ** 3), String(64 * 1024 * 1024)),
  CACHE_MEMORY_POLICY: withDefault(z.enum(['lru', 'lfu', 'fifo']), 'lru'),
  CACHE_COMPRESS_MIN_BYTES: withDefault(int(0, 1024 * 1024 * 1024), '512'),
  DOCUMENT_MAX_BYTES: withDefault(int(1024, 1024 * 1024 * 1024), String(20 * 1024 * 1024)),
  CHUNK_TOKENS: withDefault(int(32, 8192), '400'),
  CHUNK_OVERLAP_TOKENS: withDefault(int(0, 4096), '60'),
  EMBED_BATCH_SIZE: withDefault(int(1, 2048), '64'),
  EMBED_CONCURRENCY: withDefault(int(1, 64), '4'),
  INGEST_QUEUE_MAX: withDefault(int(1, 1_000_000), '1000'),
  INGEST_CONCURRENCY: withDefault(int(1, 64), '2'),
  VECTOR_EF_SEARCH: withDefault(int(1, 1000), '100'),
  WS_HEARTBEAT_INTERVAL_MS: withDefault(int(100, 600_000), '30000'),
  WS_MAX_MESSAGE_BYTES: withDefault(int(1024, 1024 * 1024 * 1024), String(1024 * 1024)),
  WS_MAX_BUFFERED_BYTES: withDefault(int(1024, 1024 * 1024 * 1024), String(1024 * 1024)),
  WS_MAX_REQUESTS_PER_SOCKET: withDefault(int(1, 10_000), '100'),
});

export type RawEnv = z.input<typeof envSchema>;
export type ParsedEnv = z.output<typeof envSchema>;
