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
    const entry = this.discovered.get(provider.id);
    if (entry && Date.now() - entry.at < DISCOVERY_TTL_MS) return entry.ids;
    const pending = entry?.pending ?? this.refresh(provider, entry);
    // A stale list keeps answering, for every caller, while the refresh runs or if it fails.
    return entry && entry.ids.size > 0 ? entry.ids : pending;
  }

  /** One listing call per provider at a time, shared by everyone who needs it. */
  private refresh(provider: LlmProvider, stale: Discovery | undefined): Promise<Set<string>> {
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
    this.discovered.set(provider.id, { at: stale?.at ?? 0, ids: stale?.ids ?? new Set(), pending });
    if (stale && stale.ids.size > 0) pending.catch(() => undefined);
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
