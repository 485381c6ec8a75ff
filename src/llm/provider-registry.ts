import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../config/app-config.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { LlmProvider } from './core/llm-provider.port.js';
import { AnthropicProvider } from './providers/anthropic/index.js';
import { OllamaProvider } from './providers/ollama/index.js';
import { OpenAiProvider } from './providers/openai/index.js';

/** Sent to Anthropic when a request names no `max_tokens` (its API requires one). */
const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

/**
 * The configured provider strategies, by the `<provider>` prefix clients use. Adding a provider is
 * one folder plus one entry here. A provider without its required settings is absent, so its
 * models are unknown (404) rather than failing at call time.
 */
export function buildProviders(config: AppConfig): LlmProvider[] {
  const p = config.providers;
  const providers: LlmProvider[] = [];
  const pool = {
    connections: p.poolConnections,
    headersTimeoutMs: p.timeoutMs,
    bodyTimeoutMs: p.idleTimeoutMs,
  };
  if (p.openai.apiKey) {
    providers.push(
      new OpenAiProvider({
        id: 'openai',
        baseUrl: p.openai.baseUrl,
        apiKey: p.openai.apiKey,
        ...pool,
      }),
    );
  }
  if (p.anthropic.apiKey) {
    providers.push(
      new AnthropicProvider({
        baseUrl: p.anthropic.baseUrl,
        apiKey: p.anthropic.apiKey,
        ...pool,
        defaultMaxTokens: ANTHROPIC_DEFAULT_MAX_TOKENS,
      }),
    );
  }
  // Ollama needs no credentials: it is always configured, and its models are whatever it serves.
  providers.push(new OllamaProvider({ baseUrl: p.ollama.baseUrl, ...pool }));
  if (p.litellm.baseUrl) {
    providers.push(
      new OpenAiProvider({
        id: 'litellm',
        baseUrl: p.litellm.baseUrl,
        apiKey: p.litellm.apiKey,
        ...pool,
        legacyMaxTokens: true,
      }),
    );
  }
  return providers;
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
