import { Injectable } from '@nestjs/common';
import { GatewayError } from '../common/errors/gateway-error.js';
import { embedLocalHash, localHashDimension, tokenizeWords } from './providers/local/index.js';

export interface EmbeddingResult {
  model: string;
  vectors: number[][];
  promptTokens: number;
}

/** Embeddings by model name. Remote embedders join here as their providers land. */
@Injectable()
export class EmbeddingsService {
  async embed(model: string, inputs: readonly string[], dimensions?: number): Promise<EmbeddingResult> {
    const slash = model.indexOf('/');
    const provider = slash > 0 ? model.slice(0, slash) : '';
    const name = model.slice(slash + 1);
    if (provider !== 'local') {
      throw new GatewayError('model_not_found', `The model '${model}' does not exist or is not configured.`, {
        param: 'model',
      });
    }
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
}
