import { Body, Controller, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiProperty,
  ApiTags,
} from '@nestjs/swagger';
import { ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  MinLength,
} from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { CurrentPrincipal } from '../../auth/current-principal.decorator.js';
import type { Principal } from '../../auth/principal.js';
import { Scopes } from '../../auth/scopes.decorator.js';
import { ShutdownState } from '../../common/lifecycle/shutdown-state.js';
import { ROOT_LOGGER } from '../../common/logging/logger.js';
import { ApiErrorResponses } from '../../common/swagger/api-error-responses.decorator.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { callSignal } from '../call-signal.js';
import { ChatCacheService } from '../chat-cache.service.js';
import { ChatFlow } from '../chat-flow.js';
import { ChatService } from '../chat.service.js';
import type { ChatCompletionRequestDto } from '../dto/chat-completion.request.dto.js';
import { servedByHeaders, SseChatSink } from '../sse-chat.sink.js';
import { CONTEXT_DEFAULTS, CONTEXT_MAX_TOP_K } from './context-block.js';
import { SourceDto, toSourceDto } from './source.dto.js';

export class CollectionQueryRequestDto {
  @ApiProperty({ example: 'How do I install it?' })
  @IsString()
  @MinLength(1)
  @MaxLength(32_000)
  query: string;
  @ApiProperty({ example: 'openai/gpt-4o-mini', description: 'A model or an alias' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  model: string;
  @ApiPropertyOptional({ minimum: 1, maximum: CONTEXT_MAX_TOP_K, default: CONTEXT_DEFAULTS.topK })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(CONTEXT_MAX_TOP_K)
  top_k?: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 1 })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(1)
  min_score?: number;
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Metadata equality filter',
  })
  @IsOptional()
  @IsObject()
  filter?: Record<string, unknown>;
  @ApiPropertyOptional({
    default: CONTEXT_DEFAULTS.maxTokens,
    description: 'Most tokens of retrieved context',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(200_000)
  context_tokens?: number;
  @ApiPropertyOptional({ description: 'Most tokens of the answer' })
  @IsOptional()
  @IsInt()
  @Min(1)
  max_tokens?: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 2 })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(2)
  temperature?: number;
  @ApiPropertyOptional({ description: 'Answer as OpenAI chat.completion.chunk SSE events' })
  @IsOptional()
  @IsBoolean()
  stream?: boolean;
}

class CollectionQueryUsageDto {
  @ApiProperty() prompt_tokens: number;
  @ApiProperty() completion_tokens: number;
  @ApiProperty() total_tokens: number;
}

export class CollectionQueryResponseDto {
  @ApiProperty({ description: 'The answer; [n] cites sources[n-1]' }) answer: string;
  @ApiProperty() model: string;
  @ApiProperty({ type: [SourceDto] }) sources: SourceDto[];
  @ApiProperty({ type: CollectionQueryUsageDto }) usage: CollectionQueryUsageDto;
}

/**
 * A question answered over one collection: retrieval-augmented chat with the question as the user
 * message, through the same flow as `/v1/chat/completions` (limits, routing, cache, accounting).
 */
@ApiTags('documents')
@ApiBearerAuth()
@Scopes('documents')
@Controller('api/collections')
export class CollectionQueryController {
  private readonly flow: ChatFlow;

  constructor(
    chat: ChatService,
    cache: ChatCacheService,
    metrics: MetricsService,
    private readonly shutdown: ShutdownState,
    @Inject(ROOT_LOGGER) log: Logger,
  ) {
    this.flow = new ChatFlow(chat, cache, metrics, log);
  }

  @Post(':collection/query')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Answer a question from a collection, citing its sources; SSE when stream is true',
  })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({ type: CollectionQueryResponseDto })
  @ApiErrorResponses(400, 401, 403, 404, 429, 502, 503, 504)
  async query(
    @Param('collection') collection: string,
    @Body() body: CollectionQueryRequestDto,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const dto = {
      model: body.model,
      messages: [{ role: 'user', content: body.query }],
      stream: body.stream,
      max_tokens: body.max_tokens,
      temperature: body.temperature,
      context: {
        collection,
        top_k: body.top_k,
        min_score: body.min_score,
        max_tokens: body.context_tokens,
        filter: body.filter,
      },
    } as ChatCompletionRequestDto;
    const call = await this.flow.open(
      dto,
      { principal, requestId: request.id },
      request.headers['cache-control'],
    );
    const sources = (call.resolved.sources ?? []).map(toSourceDto);
    servedByHeaders(reply, call.servedBy());
    void reply
      .header('x-gateway-cache', call.cacheOutcome)
      .header('x-gateway-sources', sources.map((s) => s.chunk_id).join(', '));
    const sse = { request, reply, model: body.model, includeUsage: true };
    const cached = call.fromCache();
    if (cached) {
      if (body.stream) return call.replay(new SseChatSink(sse), cached);
      await call.delivered(cached);
      void reply.send(this.toResponse(cached.content, body.model, sources, cached.usage));
      return;
    }
    await call.start();
    const signal = callSignal(reply, this.shutdown);
    if (body.stream) return call.stream(new SseChatSink(sse), signal);
    const result = await call.run(signal);
    servedByHeaders(reply, call.servedBy());
    void reply.send(this.toResponse(result.content, body.model, sources, result.usage));
  }

  private toResponse(
    answer: string | null,
    model: string,
    sources: SourceDto[],
    usage: { promptTokens: number; completionTokens: number; totalTokens: number },
  ): CollectionQueryResponseDto {
    return {
      answer: answer ?? '',
      model,
      sources,
      usage: {
        prompt_tokens: usage.promptTokens,
        completion_tokens: usage.completionTokens,
        total_tokens: usage.totalTokens,
      },
    };
  }
}
