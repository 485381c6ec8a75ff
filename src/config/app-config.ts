import type { RoutingConfig } from './routing-config.js';

/** The validated, typed configuration tree. Built once at boot by `loadAppConfig`. */
export type CacheMode = 'exact' | 'semantic' | 'off';
export type EvictionPolicy = 'lru' | 'lfu' | 'fifo';
export type FailMode = 'open' | 'closed';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface AppConfig {
  readonly server: {
    readonly host: string;
    readonly port: number;
    readonly maxBodyBytes: number;
    readonly shutdownTimeoutMs: number;
    readonly logLevel: LogLevel;
  };
  readonly auth: {
    /** Master key; unset means auth is off (allowed on loopback hosts only). */
    readonly adminApiKey?: string;
  };
  readonly database: {
    /** Unset → embedded PGlite under `dataDir/pg`. */
    readonly url?: string;
    readonly dataDir: string;
    readonly migrateOnBoot: boolean;
    readonly poolSize: number;
  };
  readonly redis: {
    /** Unset → in-process state only. */
    readonly url?: string;
    readonly keyPrefix: string;
  };
  readonly providers: {
    readonly openai: { readonly apiKey?: string; readonly baseUrl: string };
    readonly anthropic: { readonly apiKey?: string; readonly baseUrl: string };
    readonly ollama: { readonly baseUrl: string };
    readonly litellm: { readonly apiKey?: string; readonly baseUrl?: string };
    readonly poolConnections: number;
    /** Longest wait for an upstream's response headers (a non-streamed answer arrives with them). */
    readonly timeoutMs: number;
    /** Longest silence between chunks of an upstream body or stream. */
    readonly idleTimeoutMs: number;
  };
  readonly limits: {
    /** Requests per minute across all callers of this deployment; 0 = no global limit. */
    readonly globalRpm: number;
    /** Redis unreachable: `open` keeps counting in-process, `closed` refuses with 503. */
    readonly rateFailMode: FailMode;
    readonly budgetFailMode: FailMode;
  };
  readonly usage: {
    /** Usage records are written in batches at this interval (and on shutdown). */
    readonly flushIntervalMs: number;
  };
  readonly routing: {
    /** `GATEWAY_CONFIG`; unset → no aliases, defaults for request-level fallbacks. */
    readonly path?: string;
    readonly config: RoutingConfig;
    /** Reads the file again (SIGHUP), with the environment seen at boot; throws `RoutingConfigError`. */
    readonly reload: () => RoutingConfig;
  };
  readonly embeddingModel: string;
  readonly cache: {
    readonly defaultMode: CacheMode;
    /** 32-byte AES-256-GCM key; unset → cached payloads are stored unencrypted. */
    readonly encryptionKey?: Buffer;
    /** Keys that wrote entries still readable during a rotation; never used to write. */
    readonly oldEncryptionKeys: readonly Buffer[];
    /** Default lifetime of a cached response (a request's `cache.ttl` overrides it). */
    readonly ttlSeconds: number;
    readonly memory: {
      /** 0 = no in-process tier. */
      readonly maxEntries: number;
      readonly maxBytes: number;
      readonly policy: EvictionPolicy;
    };
    /** Values at least this large are compressed. */
    readonly compressMinBytes: number;
  };
  readonly documents: {
    /** Largest upload (one file, or one JSON text), in bytes. */
    readonly maxBytes: number;
    /** Target chunk size and the overlap between neighbours, in tokens of the embedder's tokenizer. */
    readonly chunkTokens: number;
    readonly chunkOverlapTokens: number;
    /** Chunks per embedding call, and embedding calls in flight at once. */
    readonly embedBatchSize: number;
    readonly embedConcurrency: number;
    /** Documents waiting to be processed; a full queue refuses uploads with 503. */
    readonly queueMax: number;
    /** Documents processed at once. */
    readonly ingestConcurrency: number;
    /** pgvector's `hnsw.ef_search` for searches (recall vs speed). */
    readonly efSearch: number;
  };
  readonly websocket: {
    /** A socket that has not answered the previous ping when the next one is due is closed. */
    readonly heartbeatMs: number;
    /** Larger text frames get a `chat.error` (request_too_large); the socket stays open. */
    readonly maxMessageBytes: number;
    /** Upstream reads pause while more than this many bytes wait to be sent to a slow client. */
    readonly maxBufferedBytes: number;
    /** Chat requests in flight on one socket at once. */
    readonly maxRequestsPerSocket: number;
  };
}

/** DI token for the config tree; inject with `@Inject(APP_CONFIG)`. */
export const APP_CONFIG = Symbol('APP_CONFIG');
