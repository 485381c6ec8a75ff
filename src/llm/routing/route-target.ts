import type { RouteStrategy } from '../../config/routing-config.js';
import type { LlmProvider } from '../core/llm-provider.port.js';
import type { ModelInfo } from '../registry/model-info.js';

/** Weight of the newest sample in the time-to-first-byte average. */
const EWMA_ALPHA = 0.3;

/**
 * Live load and latency of one deployment, kept per target id across config reloads, so every alias
 * naming the same deployment sees the same numbers.
 */
export class TargetStats {
  inFlight = 0;
  /** Exponentially weighted time to first byte, ms; undefined until the first answer. */
  ewmaMs?: number;
  samples = 0;

  observeFirstByte(ms: number): void {
    this.ewmaMs = this.ewmaMs === undefined ? ms : this.ewmaMs + EWMA_ALPHA * (ms - this.ewmaMs);
    this.samples++;
  }
}

/** One place a routed call can go: a provider endpoint and the model name it knows. */
export interface RouteTarget {
  /** `openai/gpt-4o-mini`, or the configured name; cooldowns and stats are keyed by it. */
  readonly id: string;
  readonly provider: LlmProvider;
  readonly model: string;
  readonly weight: number;
  readonly info: ModelInfo;
  readonly stats: TargetStats;
}

/** A named set of targets with a strategy: an alias, or a model named directly. */
export interface Route {
  readonly name: string;
  readonly strategy: RouteStrategy;
  readonly targets: readonly RouteTarget[];
  /** Orders the targets for one call; stateful strategies (weighted) advance on each call. */
  order(): RouteTarget[];
}
