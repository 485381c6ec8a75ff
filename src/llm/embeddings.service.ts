import { Injectable } from '@nestjs/common';
import { GatewayError } from '../common/errors/gateway-error.js';
import { TokenLimiter } from '../limits/token-limiter.js';
import { CallLedger, costUsd } from './call-ledger.js';
import { assertModelAllowed, type CallerInfo } from './chat.service.js';
import { ModelCatalog } from './model-catalog.js';
import { type ModelPricing, resolveModelInfo } from './registry/model-info.js';
import { embedLocalHash, localHashDimension, tokenizeWords } from './providers/local/index.js';

export interface EmbeddingResult {
  model: string;
  vectors: number[][];
  promptTokens: number;
}

const FREE: ModelPricing = { inputPerMTok: 0, outputPerMTok: 0 };

/** Embeddings by model name: the built-in `local/hash-<dim>` embedder or a provider's API. */
@Injectable()
export class EmbeddingsService {
  constructor(
    private readonly catalog: ModelCatalog,
    private readonly limiter: TokenLimiter,
    private readonly ledger: CallLedger,
  ) {}

  /**
   * An API caller's request: the key's model list, token limit and usage ledger apply. Internal
   * callers (ingestion, the semantic cache) use `embed` directly.
   */
  async embedFor(
    caller: CallerInfo,
    model: string,
    inputs: readonly string[],
    dimensions?: number,
    signal?: AbortSignal,
  ): Promise<EmbeddingResult> {
    assertModelAllowed(caller.principal, model);
    const local = model.startsWith('local/');
    const target = local ? undefined : await this.catalog.resolve(model);
    const pricing = target ? resolveModelInfo(target.provider.id, target.model).pricing : FREE;
    const estimate = inputs.reduce((n, text) => n + Math.ceil(text.length / 4), 0);
    const reservation = await this.limiter.reserve(caller.principal, estimate, costUsd(pricing, estimate, 0));
    const record = this.ledger.open({
      requestId: caller.requestId,
      principal: caller.principal,
      endpoint: 'embeddings',
      model,
      provider: target?.provider.id ?? 'local',
      target: target?.model ?? model.slice('local/'.length),
      stream: false,
      pricing,
      reservation,
      promptTokens: estimate,
    });
    try {
      const result = await this.embed(model, inputs, dimensions, signal);
      record.succeed({
        promptTokens: result.promptTokens,
        completionTokens: 0,
        totalTokens: result.promptTokens,
      });
      return result;
    } catch (err) {
      record.fail(err);
      throw err;
    }
  }

  async embed(
    model: string,
    inputs: readonly string[],
    dimensions?: number,
    signal?: AbortSignal,
  ): Promise<EmbeddingResult> {
    if (!model.startsWith('local/'))
      return this.embedRemote(model, inputs, dimensions, signal ?? new AbortController().signal);
    const name = model.slice('local/'.length);
    const dim = localHashDimension(name);
    if (dim === undefined) {
      throw new GatewayError(
        'model_not_found',
        `The model '${model}' does not exist; local models are hash-<8..4096>.`,
        {
          param: 'model',
        },
      );
    }
    if (dimensions !== undefined && dimensions !== dim) {
      throw new GatewayError(
        'invalid_request_error',
        `'${model}' produces ${dim} dimensions; name local/hash-${dimensions} instead.`,
        {
          param: 'dimensions',
        },
      );
    }
    // Local "tokens" are words: the embedder has no BPE vocabulary.
    const promptTokens = inputs.reduce((n, text) => n + tokenizeWords(text).length, 0);
    return { model, vectors: inputs.map((text) => embedLocalHash(text, dim)), promptTokens };
  }

  private async embedRemote(
    model: string,
    inputs: readonly string[],
    dimensions: number | undefined,
    signal: AbortSignal,
  ): Promise<EmbeddingResult> {
    const target = await this.catalog.resolve(model);
    if (!target.provider.embed) {
      throw new GatewayError('unsupported', `The ${target.provider.id} provider has no embeddings API.`, {
        param: 'model',
      });
    }
    const out = await target.provider.embed(
      { model: target.model, input: [...inputs], dimensions },
      { signal },
    );
    return { model, vectors: out.vectors, promptTokens: out.promptTokens };
  }
}
