import type { RouteStrategy } from '../../config/routing-config.js';
import type { RouteTarget } from './route-target.js';

/** Orders a route's targets for one call: the first is tried first, the rest are its fallbacks. */
export type Balancer = () => RouteTarget[];

/** In configuration order. */
function fallback(targets: readonly RouteTarget[]): Balancer {
  const ordered = [...targets];
  return () => ordered;
}

/**
 * Smooth weighted round-robin (nginx's): every call each target gains its weight, the richest is
 * chosen and pays the total. Over any window the split matches the weights, without bursts.
 * Fallbacks after the chosen one go by weight.
 */
function weighted(targets: readonly RouteTarget[]): Balancer {
  const current = targets.map(() => 0);
  const total = targets.reduce((sum, t) => sum + t.weight, 0);
  const byWeight = [...targets].sort((a, b) => b.weight - a.weight);
  return () => {
    let best = 0;
    for (let i = 0; i < targets.length; i++) {
      current[i] = (current[i] ?? 0) + (targets[i]?.weight ?? 0);
      if ((current[i] ?? 0) > (current[best] ?? 0)) best = i;
    }
    current[best] = (current[best] ?? 0) - total;
    const chosen = targets[best];
    return [chosen, ...byWeight.filter((t) => t !== chosen)];
  };
}

/** Fewest calls in flight first; ties rotate, so an idle pool still spreads. */
function leastBusy(targets: readonly RouteTarget[]): Balancer {
  let turn = 0;
  return () => {
    const start = turn++ % targets.length;
    const rotated = [...targets.slice(start), ...targets.slice(0, start)];
    return rotated.sort((a, b) => a.stats.inFlight - b.stats.inFlight);
  };
}

/** One call in this many goes to the runner-up, so a target that got faster is noticed. */
const EXPLORE_EVERY = 20;

/**
 * Lowest average time to first byte first. Targets without a sample go first (to get one), and an
 * occasional call tries the runner-up so the estimates stay current.
 */
function latency(targets: readonly RouteTarget[]): Balancer {
  let calls = 0;
  return () => {
    const sorted = [...targets].sort((a, b) => (a.stats.ewmaMs ?? -1) - (b.stats.ewmaMs ?? -1));
    if (++calls % EXPLORE_EVERY === 0 && sorted.length > 1) {
      const [first, second, ...rest] = sorted as [RouteTarget, RouteTarget, ...RouteTarget[]];
      return [second, first, ...rest];
    }
    return sorted;
  };
}

export function createBalancer(strategy: RouteStrategy, targets: readonly RouteTarget[]): Balancer {
  switch (strategy) {
    case 'fallback':
      return fallback(targets);
    case 'weighted':
      return weighted(targets);
    case 'least-busy':
      return leastBusy(targets);
    case 'latency':
      return latency(targets);
  }
}
