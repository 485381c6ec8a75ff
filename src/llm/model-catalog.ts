import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { GatewayError } from '../common/errors/gateway-error.js';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import type { LlmProvider } from './core/llm-provider.port.js';
import { ProviderRegistry } from './provider-registry.js';
import { lookupModelInfo } from './registry/model-info.js';

/** How long an upstream's model list is trusted before it is fetched again. */
const DISCOVERY_TTL_MS = 5 * 60_000;
const DISCOVERY_TIMEOUT_MS = 5_000;

export interface ResolvedModel {
  provider: LlmProvider;
  /** The upstream's model name, e.g. `gpt-4o-mini`. */
  model: string;
  /** As the client named it, e.g. `openai/gpt-4o-mini`. */
  requested: string;
}

interface Discovery {
  at: number;
  ids: Set<string>;
  pending?: Promise<Set<string>>;
}

/** Ollama's `llama3.2` is its `llama3.2:latest`. */
function matches(ids: Set<string>, model: string): boolean {
  return ids.has(model) || ids.has(`${model}:latest`);
}

/**
 * Resolves `<provider>/<model>` to a configured provider and checks the model exists, from the
 * upstream's own model list (fetched once per TTL, shared by concurrent callers). Unknown models
 * are refused before any chat call.
 */
@Injectable()
export class ModelCatalog {
  private readonly discovered = new Map<string, Discovery>();

  constructor(
    private readonly registry: ProviderRegistry,
    @Inject(ROOT_LOGGER) private readonly log: Logger,
  ) {}

  async resolve(requested: string): Promise<ResolvedModel> {
    const slash = requested.indexOf('/');
    const provider = slash > 0 ? this.registry.get(requested.slice(0, slash)) : undefined;
    const model = requested.slice(slash + 1);
    if (!provider || model.length === 0) throw this.notFound(requested);
    // The registry file vouches for its models; others must be on the upstream's own list.
    if (lookupModelInfo(provider.id, model)) return { provider, model, requested };
    const ids = await this.modelIds(provider);
    if (!matches(ids, model)) throw this.notFound(requested);
    return { provider, model, requested };
  }

  async list(): Promise<Array<{ id: string; ownedBy: string }>> {
    const lists = await Promise.all(
      this.registry.all().map(async (p) => {
        try {
          return [...(await this.modelIds(p))].map((id) => ({ id: `${p.id}/${id}`, ownedBy: p.id }));
        } catch (err) {
          this.log.warn(
            { provider: p.id, err: err instanceof Error ? err.message : String(err) },
            'model discovery failed',
          );
          return [];
        }
      }),
    );
    return lists.flat();
  }

  private async modelIds(provider: LlmProvider): Promise<Set<string>> {
    const now = Date.now();
    const entry = this.discovered.get(provider.id);
    if (entry && now - entry.at < DISCOVERY_TTL_MS) return entry.ids;
    if (entry?.pending) return entry.pending;
    const pending = provider
      .listModels({ signal: AbortSignal.timeout(DISCOVERY_TIMEOUT_MS) })
      .then((models) => {
        const ids = new Set(models.map((m) => m.id));
        this.discovered.set(provider.id, { at: Date.now(), ids });
        return ids;
      })
      .finally(() => {
        const current = this.discovered.get(provider.id);
        if (current?.pending === pending) current.pending = undefined;
      });
    this.discovered.set(provider.id, { at: entry?.at ?? 0, ids: entry?.ids ?? new Set(), pending });
    if (entry && entry.ids.size > 0) {
      // A stale list still answers while the refresh runs; a failed refresh keeps it.
      pending.catch(() => undefined);
      return entry.ids;
    }
    return pending;
  }

  private notFound(requested: string): GatewayError {
    return new GatewayError(
      'model_not_found',
      `The model '${requested}' does not exist or is not configured.`,
      { param: 'model' },
    );
  }
}
