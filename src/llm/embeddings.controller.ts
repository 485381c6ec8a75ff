import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/swagger/api-error-responses.decorator.js';
import { EmbeddingsRequestDto, EmbeddingsResponseDto } from './dto/embeddings.request.dto.js';
import { EmbeddingsService } from './embeddings.service.js';

function toBase64(vector: readonly number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

@ApiTags('openai')
@ApiBearerAuth()
@Controller('v1')
export class EmbeddingsController {
  constructor(private readonly embeddings: EmbeddingsService) {}

  @Post('embeddings')
  @HttpCode(200)
  @ApiOperation({ summary: 'Create embeddings (OpenAI schema)' })
  @ApiOkResponse({ type: EmbeddingsResponseDto })
  @ApiErrorResponses(400, 401, 404, 413, 429, 500, 502, 503, 504)
  async create(@Body() body: EmbeddingsRequestDto): Promise<EmbeddingsResponseDto> {
    const inputs = typeof body.input === 'string' ? [body.input] : body.input;
    const result = await this.embeddings.embed(body.model, inputs, body.dimensions);
    const base64 = body.encoding_format === 'base64';
    return {
      object: 'list',
      data: result.vectors.map((v, index) => ({
        object: 'embedding',
        index,
        embedding: base64 ? toBase64(v) : v,
      })),
      model: result.model,
      usage: { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens },
    };
  }
}
