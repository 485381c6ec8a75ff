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
import { MetricsService } from '../metrics/metrics.service.js';
import { toCachedAnswer } from './chat-cache.js';
import { ChatCacheService } from './chat-cache.service.js';
import { relayStream, replayAnswer, warningsHeader } from './chat-stream.responder.js';
import { ChatService } from './chat.service.js';
import type { ChatResult, ChatStreamPart, Usage } from './core/chat.types.js';
import { ChatCompletionRequestDto } from './dto/chat-completion.request.dto.js';
import { ChatCompletionRequestPipe } from './dto/chat-completion.request.validation.js';
import { ChatCompletionResponseDto } from './dto/chat-completion.response.dto.js';

/** Aborts when the client goes away before the response is complete, or the drain deadline hits. */
function callSignal(reply: FastifyReply, shutdown: ShutdownState): AbortSignal {
  const controller = new AbortController();
  const untrack = shutdown.track(controller);
  reply.raw.once('close', () => {
    untrack();
    if (!reply.raw.writableFinished) controller.abort(new Error('client disconnected'));
  });
  return controller.signal;
}

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
  constructor(
    private readonly chat: ChatService,
    private readonly cache: ChatCacheService,
    private readonly metrics: MetricsService,
    private readonly shutdown: ShutdownState,
    @Inject(ROOT_LOGGER) private readonly log: Logger,
  ) {}

  @Post('chat/completions')
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
    const resolved = await this.chat.resolve(body, { principal, requestId: request.id });
    const directive = this.cache.directive(body.cache, request.headers['cache-control']);
    const looked = await this.cache.lookup(resolved, directive);
    void reply
      .header('x-gateway-provider', resolved.target.provider.id)
      .header('x-gateway-cache', looked.outcome);
    const sse = {
      request,
      reply,
      model: body.model,
      includeUsage: body.stream_options?.include_usage ?? false,
    };
    if (looked.answer) {
      const answer = looked.answer;
      this.chat
        .openCachedRecord(resolved)
        .servedFromCache(answer.usage, looked.outcome === 'semantic-hit' ? 'semantic-hit' : 'hit');
      if (body.stream) return replayAnswer(sse, answer);
      const completion = { ...answer, id: `chatcmpl-${request.id}`, created: Math.floor(Date.now() / 1000) };
      void reply.send(toCompletion(completion, body.model, answer.usage.promptTokens));
      return;
    }

    const prepared = await this.chat.start(resolved);
    const { record, reservation } = prepared;
    record.cache = looked.outcome;
    if (reservation.limitTokens !== undefined) {
      void reply
        .header('x-ratelimit-limit-tokens', reservation.limitTokens)
        .header('x-ratelimit-remaining-tokens', reservation.remainingTokens ?? 0);
    }
    const signal = callSignal(reply, this.shutdown);
    if (!body.stream) {
      let result: ChatResult;
      try {
        result = await prepared.run({ signal });
      } catch (err) {
        if (signal.aborted) record.clientClosed(0);
        else record.fail(err);
        throw err;
      }
      record.succeed(result.usage);
      void this.cache.store(looked, toCachedAnswer(result), directive);
      if (result.warnings.length > 0)
        void reply.header('x-gateway-warnings', warningsHeader(result.warnings));
      void reply.send(toCompletion(result, body.model));
      return;
    }
    const parts = prepared.stream({ signal })[Symbol.asyncIterator]();
    // The first part is awaited before any byte is sent, so an upstream that fails at once still
    // gets a proper HTTP status (and the router may still fall back).
    let first: IteratorResult<ChatStreamPart>;
    try {
      first = await parts.next();
    } catch (err) {
      if (signal.aborted) record.clientClosed(0);
      else record.fail(err);
      throw err;
    }
    this.metrics.openStreams.inc();
    try {
      const answer = await relayStream(sse, first, parts, record, this.log);
      if (answer) void this.cache.store(looked, answer, directive);
    } finally {
      this.metrics.openStreams.dec();
    }
  }
}
