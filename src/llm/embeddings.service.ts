import { Injectable } from '@nestjs/common';
import { GatewayError } from '../common/errors/gateway-error.js';
import { NO_RESERVATION, TokenLimiter } from '../limits/token-limiter.js';
import { CallLedger, type CallRecord, costUsd } from './call-ledger.js';
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
    return this.embedAs(caller, model, inputs, { dimensions, signal });
  }

  /**
   * Embeds on a caller's behalf with a model the gateway chose (a collection's, for a search query):
   * the caller's token limit and usage ledger apply, its model list does not.
   */
  async embedAs(
    caller: CallerInfo,
    model: string,
    inputs: readonly string[],
    { dimensions, signal }: { dimensions?: number; signal?: AbortSignal } = {},
  ): Promise<EmbeddingResult> {
    const served = await this.servedBy(model);
    const estimate = inputs.reduce((n, text) => n + Math.ceil(text.length / 4), 0);
    const reservation = await this.limiter.reserve(
      caller.principal,
      estimate,
      costUsd(served.pricing, estimate, 0),
    );
    const record = this.ledger.open({
      requestId: caller.requestId,
      principal: caller.principal,
      endpoint: 'embeddings',
      model,
      ...served,
      stream: false,
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

  /**
   * Opens the usage record of embeddings made for a tenant in the background (ingestion): counted in
   * its usage, spend and metrics like an API call, held to no limit (nobody is there to get a 429).
   * `tokens` is counted with the model's tokenizer; the caller closes the record.
   */
  async openBackground(
    owner: { keyId?: string; requestId: string },
    model: string,
    tokens: number,
  ): Promise<CallRecord> {
    return this.ledger.open({
      requestId: owner.requestId,
      principal: { keyId: owner.keyId, name: 'background', scopes: new Set(), limits: {} },
      endpoint: 'embeddings',
      model,
      ...(await this.servedBy(model)),
      stream: false,
      reservation: NO_RESERVATION,
      promptTokens: tokens,
    });
  }

  /** Who serves an embedding model, and at what price. */
  private async servedBy(
    model: string,
  ): Promise<{ provider: string; target: string; pricing: ModelPricing }> {
    if (model.startsWith('local/'))
      return { provider: 'local', target: model.slice('local/'.length), pricing: FREE };
    const target = await this.catalog.resolve(model);
    return {
      provider: target.provider.id,
      target: target.model,
      pricing: resolveModelInfo(target.provider.id, target.model).pricing,
    };
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
