import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The labelled children of one model-call series, looked up once and reused (label hashing is not free). */
export interface LlmSeries {
  requests(status: number): Counter.Internal;
  duration: Histogram.Internal<string>;
  ttft: Histogram.Internal<string>;
  promptTokens: Counter.Internal;
  completionTokens: Counter.Internal;
  cost: Counter.Internal;
}

/** Seconds; LLM calls run from milliseconds (cache hits) to minutes (long generations). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const TTFT_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];

/** Which limit refused a request (a fixed set, so the label stays bounded). */
export type LimitKind = 'rpm_global' | 'rpm_key' | 'tpm' | 'budget';

/**
 * Every Prometheus metric the gateway exports, on a registry of its own (several apps in one process,
 * as in tests, do not collide). Labels only ever hold bounded values: route templates (not URLs),
 * configured model and provider names, status codes and error codes.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'gateway_http_requests_total',
    help: 'HTTP requests by route template, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'gateway_http_request_duration_seconds',
    help: 'HTTP request latency until the response ended, by route template, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly llmRequests = new Counter({
    name: 'gateway_llm_requests_total',
    help: 'Model calls by endpoint, requested model, answering provider, target model and status.',
    labelNames: ['endpoint', 'model', 'provider', 'target', 'status'] as const,
    registers: [this.registry],
  });

  readonly llmDuration = new Histogram({
    name: 'gateway_llm_request_duration_seconds',
    help: 'Model call latency (to the last byte) by endpoint, model, provider and target.',
    labelNames: ['endpoint', 'model', 'provider', 'target'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly timeToFirstToken = new Histogram({
    name: 'gateway_llm_time_to_first_token_seconds',
    help: 'Time from request to the first streamed token, by model, provider and target.',
    labelNames: ['model', 'provider', 'target'] as const,
    buckets: TTFT_BUCKETS,
    registers: [this.registry],
  });

  readonly tokens = new Counter({
    name: 'gateway_llm_tokens_total',
    help: 'Tokens by model, provider and kind (prompt, completion, cached).',
    labelNames: ['model', 'provider', 'kind'] as const,
    registers: [this.registry],
  });

  readonly cost = new Counter({
    name: 'gateway_llm_cost_usd_total',
    help: 'Spend in USD at the model registry prices, by model and provider.',
    labelNames: ['model', 'provider'] as const,
    registers: [this.registry],
  });

  readonly cacheResults = new Counter({
    name: 'gateway_cache_results_total',
    help: 'Response cache outcomes (hit, semantic-hit, miss, bypass).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  readonly cacheLookupSeconds = new Histogram({
    name: 'gateway_cache_lookup_duration_seconds',
    help: 'Response cache lookup latency (store read and decode).',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
    registers: [this.registry],
  });

  readonly cacheBytesWritten = new Counter({
    name: 'gateway_cache_bytes_written_total',
    help: 'Encoded bytes written to the response cache.',
    registers: [this.registry],
  });

  readonly cacheGuardRejections = new Counter({
    name: 'gateway_cache_guard_rejections_total',
    help: 'Semantic cache candidates refused as look-alikes, by reason (numbers, negation, quoted, entities).',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly cacheCorruptions = new Counter({
    name: 'gateway_cache_corruptions_total',
    help: 'Cache entries that failed their integrity check (deleted, never served).',
    registers: [this.registry],
  });

  readonly cacheStore = new Gauge({
    name: 'gateway_cache_store',
    help: 'Response cache store state: entries, bytes (in-process tier) and evictions so far.',
    labelNames: ['measure'] as const,
    registers: [this.registry],
  });

  readonly cacheStoreErrors = new Counter({
    name: 'gateway_cache_store_errors_total',
    help: 'Cache store operations that failed (treated as misses or skipped writes).',
    registers: [this.registry],
  });

  readonly rateLimitRejections = new Counter({
    name: 'gateway_rate_limit_rejections_total',
    help: 'Requests refused with 429 by limit kind.',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  readonly limitStoreFailures = new Counter({
    name: 'gateway_limit_store_failures_total',
    help: 'Shared limit store (Redis) failures by limiter and the fail mode applied.',
    labelNames: ['limiter', 'mode'] as const,
    registers: [this.registry],
  });

  readonly upstreamErrors = new Counter({
    name: 'gateway_upstream_errors_total',
    help: 'Upstream failures by provider and error code.',
    labelNames: ['provider', 'code'] as const,
    registers: [this.registry],
  });

  readonly openStreams = new Gauge({
    name: 'gateway_open_streams',
    help: 'Chat answers currently streaming from an upstream (SSE responses and WebSocket requests).',
    registers: [this.registry],
  });

  readonly openWebSockets = new Gauge({
    name: 'gateway_open_websockets',
    help: 'WebSocket connections currently open.',
    registers: [this.registry],
  });

  readonly usageDropped = new Counter({
    name: 'gateway_usage_records_dropped_total',
    help: 'Usage records dropped because the database stayed unreachable and the buffer was full.',
    registers: [this.registry],
  });

  private readonly collectHooks: Array<() => void> = [];
  private readonly httpSeries = new Map<string, [Counter.Internal, Histogram.Internal<string>]>();
  private readonly llmSeriesCache = new Map<string, LlmSeries>();
  private readonly cacheSeries = new Map<string, Counter.Internal>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'gateway_' });
    new Gauge({
      name: 'gateway_upstream_pool_sockets',
      help: 'Sockets of each upstream keep-alive pool by state (connected, free, pending, running, queued).',
      labelNames: ['provider', 'state'] as const,
      registers: [this.registry],
    });
  }

  observeHttp(route: string, method: string, status: number, seconds: number): void {
    const key = `${route} ${method} ${status}`;
    let series = this.httpSeries.get(key);
    if (!series) {
      const labels = { route, method, status: String(status) };
      series = [this.httpRequests.labels(labels), this.httpDuration.labels(labels)];
      this.httpSeries.set(key, series);
    }
    series[0].inc();
    series[1].observe(seconds);
  }

  llmSeries(endpoint: string, model: string, provider: string, target: string): LlmSeries {
    const key = `${endpoint} ${model} ${provider} ${target}`;
    let series = this.llmSeriesCache.get(key);
    if (series) return series;
    const byStatus = new Map<number, Counter.Internal>();
    const labels = { model, provider, target };
    series = {
      requests: (status) => {
        let child = byStatus.get(status);
        if (!child) {
          child = this.llmRequests.labels({ ...labels, endpoint, status: String(status) });
          byStatus.set(status, child);
        }
        return child;
      },
      duration: this.llmDuration.labels({ ...labels, endpoint }),
      ttft: this.timeToFirstToken.labels(labels),
      promptTokens: this.tokens.labels({ model, provider, kind: 'prompt' }),
      completionTokens: this.tokens.labels({ model, provider, kind: 'completion' }),
      cost: this.cost.labels({ model, provider }),
    };
    this.llmSeriesCache.set(key, series);
    return series;
  }

  cacheResult(result: string): void {
    let child = this.cacheSeries.get(result);
    if (!child) {
      child = this.cacheResults.labels({ result });
      this.cacheSeries.set(result, child);
    }
    child.inc();
  }

  /** Registers a callback that refreshes gauges right before each scrape (`render`). */
  onCollect(hook: () => void): void {
    this.collectHooks.push(hook);
  }

  get poolSockets(): Gauge<'provider' | 'state'> {
    return this.registry.getSingleMetric('gateway_upstream_pool_sockets') as Gauge<'provider' | 'state'>;
  }

  async render(): Promise<{ contentType: string; body: string }> {
    // Gauges fed by callbacks are refreshed before any metric is serialised.
    for (const hook of this.collectHooks) hook();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
