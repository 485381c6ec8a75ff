import { Body, Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { toErrorResponse, toGatewayError } from '../common/errors/error-envelope.js';
import { ShutdownState } from '../common/lifecycle/shutdown-state.js';
import { ROOT_LOGGER } from '../common/logging/logger.js';
import { ApiErrorResponses } from '../common/swagger/api-error-responses.decorator.js';
import { CurrentPrincipal } from '../auth/current-principal.decorator.js';
import type { Principal } from '../auth/principal.js';
import { Scopes } from '../auth/scopes.decorator.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { CallRecord } from './call-ledger.js';
import { ChatService } from './chat.service.js';
import type { ChatResult, ChatStreamPart, Usage } from './core/chat.types.js';
import { ChatCompletionRequestDto } from './dto/chat-completion.request.dto.js';
import { ChatCompletionRequestPipe } from './dto/chat-completion.request.validation.js';
import { ChatCompletionResponseDto } from './dto/chat-completion.response.dto.js';
import { OpenAiSseEncoder } from './openai-sse.encoder.js';
import { writeSse } from './sse-writer.js';

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

/** About four characters per token: only for streams that ended without the upstream's usage. */
function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

function estimatedUsage(record: CallRecord, chars: number): Usage {
  const completionTokens = estimateTokens(chars);
  return {
    promptTokens: record.promptTokens,
    completionTokens,
    totalTokens: record.promptTokens + completionTokens,
  };
}

/** Settings the upstream cannot honour, reported instead of failing the request. */
function warningsHeader(warnings: readonly string[]): string {
  return warnings.map((w) => w.replace(/[^\x20-\x7e]/g, '?')).join('; ');
}

function toCompletion(r: ChatResult, model: string): ChatCompletionResponseDto {
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
    const prepared = await this.chat.prepare(body, { principal, requestId: request.id });
    const { record, reservation } = prepared;
    void reply.header('x-gateway-provider', prepared.target.provider.id).header('x-gateway-cache', 'bypass');
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
    reply.hijack();
    this.metrics.openStreams.inc();
    try {
      await this.streamOut(request, reply, first, parts, body, record);
    } finally {
      this.metrics.openStreams.dec();
    }
  }

  private async streamOut(
    request: FastifyRequest,
    reply: FastifyReply,
    first: IteratorResult<ChatStreamPart>,
    parts: AsyncIterator<ChatStreamPart>,
    body: ChatCompletionRequestDto,
    record: CallRecord,
  ): Promise<void> {
    const start = !first.done && first.value.type === 'start' ? first.value : undefined;
    const encoder = new OpenAiSseEncoder(
      start?.id ?? `chatcmpl-${request.id}`,
      body.model,
      Math.floor(Date.now() / 1000),
      body.stream_options?.include_usage ?? false,
    );
    const raw = reply.raw;
    if (start && start.warnings.length > 0)
      void reply.header('x-gateway-warnings', warningsHeader(start.warnings));
    raw.socket?.setNoDelay(true);
    raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
    // Characters streamed, for an estimate of the completion tokens when no usage arrives.
    let streamedChars = 0;
    let usage: Usage | undefined;
    let finished = false;
    try {
      await writeSse(raw, encoder.role());
      let next = start ? await parts.next() : first;
      while (!next.done) {
        const part = next.value;
        switch (part.type) {
          case 'start':
            break;
          case 'text-delta':
            record.firstToken();
            streamedChars += part.text.length;
            await writeSse(raw, encoder.text(part.text));
            break;
          case 'tool-call-delta':
            record.firstToken();
            streamedChars += part.argumentsDelta.length;
            await writeSse(raw, encoder.toolCall(part.index, part.id, part.name, part.argumentsDelta));
            break;
          case 'finish':
            usage = part.usage;
            finished = true;
            await writeSse(raw, encoder.finish(part.finishReason, part.usage));
            break;
        }
        next = await parts.next();
      }
      if (raw.destroyed) record.clientClosed(estimateTokens(streamedChars));
      else record.succeed(usage ?? estimatedUsage(record, streamedChars));
    } catch (err) {
      // The answer (and its [DONE]) was complete; only the upstream's end of the body misbehaved.
      if (finished && !raw.destroyed) {
        record.succeed(usage ?? estimatedUsage(record, streamedChars));
        return;
      }
      const error = toGatewayError(err);
      if (raw.destroyed) record.clientClosed(estimateTokens(streamedChars));
      else record.fail(error, estimateTokens(streamedChars));
      if (!raw.destroyed) {
        this.log.warn(
          {
            reqId: request.id,
            code: error.code,
            provider: error.provider,
            upstreamRequestId: error.upstreamRequestId,
          },
          'stream ended with an error',
        );
        raw.write(OpenAiSseEncoder.error(toErrorResponse(error, request.id).body));
      }
    } finally {
      await parts.return?.();
      if (!raw.writableEnded) raw.end();
    }
  }
}
