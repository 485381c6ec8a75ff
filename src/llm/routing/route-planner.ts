import { Injectable } from '@nestjs/common';
import type { RoutePolicy } from '../../config/routing-config.js';
import { ModelCatalog } from '../model-catalog.js';
import type { RoutePlan } from './llm-router.js';
import type { Route, RouteTarget } from './route-target.js';
import { RouteTable } from './route-table.js';

/** The routes one request may use, before the prompt is measured. */
export interface PlannedRoutes {
  /** The alias or model as the client named it, with its fallbacks: `fast`, `openai/gpt-4o>anthropic/claude`. */
  name: string;
  routes: Route[];
  policy: RoutePolicy;
  /** The first configured target: its tokenizer counts the prompt, its model names the cache scope. */
  primary: RouteTarget;
  /** False for one model named directly: a single attempt, as without routing. */
  routed: boolean;
}

/** Turns `model` (an alias or `<provider>/<model>`) plus the request's `fallbacks` into routes. */
@Injectable()
export class RoutePlanner {
  constructor(
    private readonly table: RouteTable,
    private readonly catalog: ModelCatalog,
  ) {}

  async plan(model: string, fallbacks: readonly string[] = []): Promise<PlannedRoutes> {
    const routes: Route[] = [];
    let policy: RoutePolicy | undefined;
    let aliased = false;
    for (const name of [model, ...fallbacks]) {
      const alias = this.table.alias(name);
      if (alias) {
        routes.push(alias.route);
        policy ??= alias.policy;
        aliased = true;
        continue;
      }
      const target = this.table.directTarget(await this.catalog.resolve(name));
      routes.push({ name, strategy: 'fallback', targets: [target], order: () => [target] });
    }
    const primary = routes[0]?.targets[0];
    if (!primary) throw new Error('a route without targets');
    return {
      name: [model, ...fallbacks].join('>'),
      routes,
      policy: policy ?? this.table.defaults,
      primary,
      routed: aliased || routes.length > 1,
    };
  }

  /** The plan the router walks: every route's order in turn, each target once, only those `usable`. */
  static toPlan(p: PlannedRoutes, usable: (t: RouteTarget) => boolean): RoutePlan {
    return {
      name: p.name,
      label: p.routes[0]?.name ?? p.name,
      policy: p.policy,
      order: () => {
        const seen = new Set<string>();
        const out: RouteTarget[] = [];
        for (const r of p.routes) {
          for (const t of r.order()) {
            if (seen.has(t.id) || !usable(t)) continue;
            seen.add(t.id);
            out.push(t);
          }
        }
        return out;
      },
    };
  }
}
