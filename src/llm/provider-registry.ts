import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { ROUTABLE_PROVIDERS, type RoutableProvider } from '../config/routing-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { LlmProvider } from './core/llm-provider.port.js';
import { AnthropicProvider } from './providers/anthropic/index.js';
import { OllamaProvider } from './providers/ollama/index.js';
import { OpenAiProvider } from './providers/openai/index.js';

/** Sent to Anthropic when a request names no `max_tokens` (its API requires one). */
const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

export interface PoolSettings {
  connections: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  connectTimeoutMs?: number;
}

export interface Endpoint {
  baseUrl: string;
  apiKey?: string;
}

/** One provider strategy by its `<provider>` prefix, for an endpoint (the registry's or a routing target's). */
export function createProvider(kind: RoutableProvider, endpoint: Endpoint, pool: PoolSettings): LlmProvider {
  switch (kind) {
    case 'openai':
      return new OpenAiProvider({ id: 'openai', ...endpoint, ...pool });
    case 'anthropic':
      return new AnthropicProvider({
        baseUrl: endpoint.baseUrl,
        apiKey: endpoint.apiKey,
        ...pool,
        defaultMaxTokens: ANTHROPIC_DEFAULT_MAX_TOKENS,
      });
    case 'ollama':
      return new OllamaProvider({ baseUrl: endpoint.baseUrl, ...pool });
    case 'litellm':
      return new OpenAiProvider({ id: 'litellm', ...endpoint, ...pool, legacyMaxTokens: true });
  }
}

export function poolSettings(config: AppConfig): PoolSettings {
  const p = config.providers;
  return { connections: p.poolConnections, headersTimeoutMs: p.timeoutMs, bodyTimeoutMs: p.idleTimeoutMs };
}

/** The endpoint the environment configured for a provider; undefined when it is not configured. */
export function configuredEndpoint(config: AppConfig, kind: RoutableProvider): Endpoint | undefined {
  const p = config.providers;
  switch (kind) {
    case 'openai':
      return p.openai.apiKey ? { baseUrl: p.openai.baseUrl, apiKey: p.openai.apiKey } : undefined;
    case 'anthropic':
      return p.anthropic.apiKey ? { baseUrl: p.anthropic.baseUrl, apiKey: p.anthropic.apiKey } : undefined;
    case 'ollama':
      // Ollama needs no credentials: it is always configured, and its models are whatever it serves.
      return { baseUrl: p.ollama.baseUrl };
    case 'litellm':
      return p.litellm.baseUrl ? { baseUrl: p.litellm.baseUrl, apiKey: p.litellm.apiKey } : undefined;
  }
}

/**
 * The configured provider strategies, by the `<provider>` prefix clients use. Adding a provider is
 * one folder plus one entry in `createProvider`. A provider without its required settings is absent,
 * so its models are unknown (404) rather than failing at call time.
 */
export function buildProviders(config: AppConfig): LlmProvider[] {
  const pool = poolSettings(config);
  return ROUTABLE_PROVIDERS.flatMap((kind) => {
    const endpoint = configuredEndpoint(config, kind);
    return endpoint ? [createProvider(kind, endpoint, pool)] : [];
  });
}

@Injectable()
export class ProviderRegistry implements OnApplicationShutdown {
  private readonly byId: ReadonlyMap<string, LlmProvider>;

  constructor(@Inject(APP_CONFIG) config: AppConfig, metrics: MetricsService) {
    this.byId = new Map(buildProviders(config).map((p) => [p.id, p]));
    metrics.onCollect(() => {
      for (const p of this.byId.values()) {
        const stats = p.poolStats();
        if (!stats) continue;
        for (const [state, n] of Object.entries(stats) as Array<[string, number]>)
          metrics.poolSockets.set({ provider: p.id, state }, n);
      }
    });
  }

  get(id: string): LlmProvider | undefined {
    return this.byId.get(id);
  }

  all(): LlmProvider[] {
    return [...this.byId.values()];
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled(this.all().map((p) => p.close()));
  }
}
