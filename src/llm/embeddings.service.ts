import { Injectable } from '@nestjs/common';
import { GatewayError } from '../common/errors/gateway-error.js';
import { ModelCatalog } from './model-catalog.js';
import { embedLocalHash, localHashDimension, tokenizeWords } from './providers/local/index.js';

export interface EmbeddingResult {
  model: string;
  vectors: number[][];
  promptTokens: number;
}

/** Embeddings by model name: the built-in `local/hash-<dim>` embedder or a provider's API. */
@Injectable()
export class EmbeddingsService {
  constructor(private readonly catalog: ModelCatalog) {}

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
