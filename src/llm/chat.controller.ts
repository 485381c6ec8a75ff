import { Body, Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ShutdownState } from '../common/lifecycle/shutdown-state.js';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import { ApiErrorResponses } from '../common/swagger/api-error-responses.decorator.js';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import type { Principal } from '../auth/principal.js';
import { Scopes } from '../auth/scopes.decorator.js';
import { RequestLimitVerdictInHandler } from '../limits/pending-request-limits.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ChatCacheService } from './chat-cache.service.js';
import { ChatFlow } from './chat-flow.js';
import { ChatService } from './chat.service.js';
import type { ChatResult, Usage } from './core/chat.types.js';
import { ChatCompletionRequestDto } from './dto/chat-completion.request.dto.js';
import { ChatCompletionRequestPipe } from './dto/chat-completion.request.validation.js';
import { ChatCompletionResponseDto } from './dto/chat-completion.response.dto.js';
import type { RetrievedChunk } from './context/context-retriever.port.js';
import { toSourceDto } from './context/source.dto.js';
import { callSignal } from './call-signal.js';
import { servedByHeaders, SseChatSink, warningsHeader } from './sse-chat.sink.js';

interface CompletionFields {
  id: string;
  created: number;
  content: string | null;
  toolCalls?: ChatResult['toolCalls'];
  finishReason: ChatResult['finishReason'];
  usage: Usage;
}

/** `cachedTokens`: prompt tokens served from the gateway's cache, reported as OpenAI reports its own. */
function toCompletion(r: CompletionFields, model: string, cachedTokens?: number): ChatCompletionResponseDto {
  return {
    id: r.id,
    object: 'chat.completion',
    created: r.created,
    model,
    system_fingerprint: null,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: r.content,
          ...(r.toolCalls ? { tool_calls: r.toolCalls } : {}),
          refusal: null,
        },
        logprobs: null,
        finish_reason: r.finishReason,
      },
    ],
    usage: {
      prompt_tokens: r.usage.promptTokens,
      completion_tokens: r.usage.completionTokens,
      total_tokens: r.usage.totalTokens,
      ...(cachedTokens === undefined ? {} : { prompt_tokens_details: { cached_tokens: cachedTokens } }),
    },
  };
}

@ApiTags('openai')
@ApiBearerAuth()
@Scopes('chat')
@Controller('v1')
export class ChatController {
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

  @Post('chat/completions')
  @RequestLimitVerdictInHandler()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Create a chat completion (OpenAI schema); `stream: true` answers with SSE chunks',
  })
  @ApiProduces('application/json', 'text/event-stream')
  @ApiOkResponse({ type: ChatCompletionResponseDto })
  @ApiErrorResponses(400, 401, 403, 404, 413, 429, 500, 502, 503, 504)
  async create(
    @Body(ChatCompletionRequestPipe) body: ChatCompletionRequestDto,
    @CurrentPrincipal() principal: Principal,
    @Req() request: FastifyRequest,
    // Not passthrough: a hijacked stream must not get a second send from Nest (which builds an error).
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const call = await this.flow.open(
      body,
      { principal, requestId: request.id },
      request.headers['cache-control'],
      request.requestLimits,
    );
    // The first choice until the upstream answered; errors on the way carry it too.
    servedByHeaders(reply, call.servedBy());
    void reply.header('x-gateway-cache', call.cacheOutcome);
    const sources = call.resolved.sources;
    // The chunks the context block numbered, [1] first (streams too: headers go out before the body).
    if (sources?.length) void reply.header('x-gateway-sources', sources.map((c) => c.chunkId).join(', '));
    const sse = {
      request,
      reply,
      model: body.model,
      includeUsage: body.stream_options?.include_usage ?? false,
    };
    const answer = call.fromCache();
    if (answer) {
      if (body.stream) return call.replay(new SseChatSink(sse), answer);
      await call.delivered(answer);
      const completion = { ...answer, id: `chatcmpl-${request.id}`, created: Math.floor(Date.now() / 1000) };
      void reply.send(withSources(toCompletion(completion, body.model, answer.usage.promptTokens), sources));
      return;
    }

    const { reservation } = await call.start(request.requestLimits);
    if (reservation.limitTokens !== undefined) {
      void reply
        .header('x-ratelimit-limit-tokens', reservation.limitTokens)
        .header('x-ratelimit-remaining-tokens', reservation.remainingTokens ?? 0);
    }
    const signal = callSignal(reply, this.shutdown);
    if (body.stream) return call.stream(new SseChatSink(sse), signal);
    const result = await call.run(signal);
    servedByHeaders(reply, call.servedBy());
    if (result.warnings.length > 0) void reply.header('x-gateway-warnings', warningsHeader(result.warnings));
    void reply.send(withSources(toCompletion(result, body.model), sources));
  }
}

/** Gateway extension on a JSON answer that used `context`: the numbered sources (clients ignore unknown fields). */
function withSources(
  completion: ChatCompletionResponseDto,
  sources: readonly RetrievedChunk[] | undefined,
): ChatCompletionResponseDto {
  if (!sources?.length) return completion;
  return { ...completion, sources: sources.map(toSourceDto) };
}
