import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { ROOT_LOGGER } from '../../common/logging/logger.js';
import { APP_CONFIG, type AppConfig } from '../../config/app-config.js';
import {
  type AliasConfig,
  type RoutePolicy,
  type RoutingConfig,
  RoutingConfigError,
  type TargetConfig,
} from '../../config/routing-config.js';
import type { LlmProvider } from '../core/llm-provider.port.js';
import type { ResolvedModel } from '../model-catalog.js';
import { configuredEndpoint, createProvider, poolSettings } from '../provider-registry.js';
import { resolveModelInfo } from '../registry/model-info.js';
import { createBalancer } from './balancers.js';
import { CooldownTracker, type TargetHealth } from './cooldown-tracker.js';
import { type Route, type RouteTarget, TargetStats } from './route-target.js';

export interface TargetView {
  id: string;
  provider: string;
  model: string;
  weight: number;
  state: TargetHealth;
  cooling_until: string | null;
  in_flight: number;
  ewma_ms: number | null;
}

export interface RouteView {
  alias: string;
  strategy: string;
  targets: TargetView[];
}

interface Table {
  config: RoutingConfig;
  aliases: Map<string, Route>;
  /** Provider instances of the alias targets, by endpoint and connect timeout (shared where equal). */
  providers: Map<string, LlmProvider>;
}

/**
 * The live routing table built from `GATEWAY_CONFIG`: aliases with their balanced targets, and the
 * single-target routes of models named directly. SIGHUP re-reads the file; a valid one replaces the
 * table for new calls while calls in flight finish on the old one (its connection pools close
 * gracefully, after their requests); an invalid one is logged and ignored. Per-target load, latency
 * and health are keyed by target id and outlive reloads.
 */
@Injectable()
export class RouteTable implements OnModuleInit, OnApplicationShutdown {
  private table: Table;
  private readonly stats = new Map<string, TargetStats>();
  private readonly direct = new Map<string, RouteTarget>();
  private readonly onHangup = (): void => {
    this.reload();
  };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly cooldowns: CooldownTracker,
    @Inject(ROOT_LOGGER) private readonly log: Logger,
  ) {
    this.table = this.build(config.routing.config);
  }

  onModuleInit(): void {
    if (this.config.routing.path) process.on('SIGHUP', this.onHangup);
  }

  async onApplicationShutdown(): Promise<void> {
    process.off('SIGHUP', this.onHangup);
    await Promise.allSettled([...this.table.providers.values()].map((p) => p.close()));
  }

  get defaults(): RoutePolicy {
    return this.table.config.defaults;
  }

  alias(name: string): { route: Route; policy: RoutePolicy } | undefined {
    const route = this.table.aliases.get(name);
    const config = this.table.config.aliases.get(name);
    return route && config ? { route, policy: config.policy } : undefined;
  }

  /** A model named directly, as one target with the registry's provider. */
  directTarget(m: ResolvedModel): RouteTarget {
    const id = `${m.provider.id}/${m.model}`;
    let target = this.direct.get(id);
    if (!target || target.provider !== m.provider) {
      target = {
        id,
        provider: m.provider,
        model: m.model,
        weight: 1,
        info: resolveModelInfo(m.provider.id, m.model),
        stats: this.statsOf(id),
      };
      this.direct.set(id, target);
    }
    return target;
  }

  /** Re-reads `GATEWAY_CONFIG`; returns the problems when the file is invalid (the table stays). */
  reload(): readonly string[] {
    let next: RoutingConfig;
    try {
      next = this.config.routing.reload();
    } catch (err) {
      const problems = err instanceof RoutingConfigError ? err.problems : [String(err)];
      this.log.error({ problems }, 'GATEWAY_CONFIG reload refused; the previous routes stay');
      return problems;
    }
    const old = this.table;
    this.table = this.build(next, old.providers);
    // Pools no longer used close once their in-flight requests are done (undici closes gracefully).
    const kept = new Set(this.table.providers.values());
    for (const p of old.providers.values()) if (!kept.has(p)) void p.close().catch(() => undefined);
    this.log.info({ aliases: [...next.aliases.keys()] }, 'GATEWAY_CONFIG reloaded');
    return [];
  }

  views(): RouteView[] {
    const now = Date.now();
    return [...this.table.aliases.values()].map((r) => ({
      alias: r.name,
      strategy: r.strategy,
      targets: r.targets.map((t) => {
        const until = this.cooldowns.coolingUntil(t.id);
        return {
          id: t.id,
          provider: t.provider.id,
          model: t.model,
          weight: t.weight,
          state: this.cooldowns.health(t.id, now),
          cooling_until: until === undefined ? null : new Date(until).toISOString(),
          in_flight: t.stats.inFlight,
          ewma_ms: t.stats.ewmaMs === undefined ? null : Math.round(t.stats.ewmaMs * 10) / 10,
        };
      }),
    }));
  }

  private build(config: RoutingConfig, reuse?: Map<string, LlmProvider>): Table {
    const providers = new Map<string, LlmProvider>();
    const aliases = new Map<string, Route>();
    for (const a of config.aliases.values()) {
      const targets = a.targets.map((t) => this.target(t, a, providers, reuse));
      const order = createBalancer(a.strategy, targets);
      aliases.set(a.name, { name: a.name, strategy: a.strategy, targets, order });
    }
    return { config, aliases, providers };
  }

  private target(
    t: TargetConfig,
    a: AliasConfig,
    providers: Map<string, LlmProvider>,
    reuse: Map<string, LlmProvider> | undefined,
  ): RouteTarget {
    const configured = configuredEndpoint(this.config, t.provider);
    const endpoint = {
      baseUrl: t.baseUrl ?? configured?.baseUrl ?? '',
      apiKey: t.apiKey ?? configured?.apiKey,
    };
    const connectMs = a.policy.timeouts.connectMs;
    const key = JSON.stringify([t.provider, endpoint.baseUrl, t.apiKeyEnv ?? '', connectMs]);
    let provider = providers.get(key) ?? reuse?.get(key);
    if (!provider) {
      provider = createProvider(t.provider, endpoint, {
        ...poolSettings(this.config),
        connectTimeoutMs: connectMs,
      });
    }
    providers.set(key, provider);
    return {
      id: t.id,
      provider,
      model: t.model,
      weight: t.weight,
      info: resolveModelInfo(t.provider, t.model),
      stats: this.statsOf(t.id),
    };
  }

  private statsOf(id: string): TargetStats {
    let s = this.stats.get(id);
    if (!s) {
      s = new TargetStats();
      this.stats.set(id, s);
    }
    return s;
  }
}
