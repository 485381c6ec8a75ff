import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import type { Principal } from '../auth/principal.js';
import { Scopes } from '../auth/scopes.decorator.js';
import { ApiErrorResponses } from '../common/swagger/api-error-responses.decorator.js';
import { EmbeddingsRequestDto, EmbeddingsResponseDto } from './dto/embeddings.request.dto.js';
import { EmbeddingsService } from './embeddings.service.js';

function toBase64(vector: readonly number[]): string {
  return Buffer.from(new Float32Array(vector).buffer).toString('base64');
}

@ApiTags('openai')
@ApiBearerAuth()
@Scopes('embeddings')
@Controller('v1')
export class EmbeddingsController {
  constructor(private readonly embeddings: EmbeddingsService) {}

  @Post('embeddings')
  @HttpCode(200)
  @ApiOperation({ summary: 'Create embeddings (OpenAI schema)' })
  @ApiOkResponse({ type: EmbeddingsResponseDto })
  @ApiErrorResponses(400, 401, 403, 404, 413, 429, 500, 502, 503, 504)
  async create(
    @Body() body: EmbeddingsRequestDto,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
  ): Promise<EmbeddingsResponseDto> {
    const inputs = typeof body.input === 'string' ? [body.input] : body.input;
    const result = await this.embeddings.embedFor(
      { principal, requestId: request.id },
      body.model,
      inputs,
      body.dimensions,
    );
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
