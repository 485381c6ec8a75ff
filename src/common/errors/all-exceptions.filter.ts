import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { toErrorResponse, toGatewayError } from './error-envelope.js';
import { GatewayError } from './gateway-error.js';

/**
 * Nest's HTTP exceptions (the router's 404, Fastify parser errors that Nest wrapped) reduced to our
 * codes; a wrapped Fastify error keeps its precise meaning through its `FST_*` code.
 */
function fromHttpException(err: HttpException, maxBodyBytes: number): GatewayError {
  const cause = err.cause as { code?: unknown } | undefined;
  const isFastifyCause = typeof cause?.code === 'string' && cause.code.startsWith('FST_');
  return toGatewayError(isFastifyCause ? cause : { statusCode: err.getStatus() }, maxBodyBytes);
}

/**
 * The one place an error becomes a response. Also installed as Fastify's error handler, so that
 * body-parser and framework errors that never reach Nest get the same envelope.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(
    private readonly log: Logger,
    private readonly maxBodyBytes: number,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return;
    const http = host.switchToHttp();
    this.reply(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }

  reply(exception: unknown, request: FastifyRequest, reply: FastifyReply): void {
    const error =
      exception instanceof HttpException
        ? fromHttpException(exception, this.maxBodyBytes)
        : toGatewayError(exception, this.maxBodyBytes);
    const { status, headers, body } = toErrorResponse(error, request.id);
    if (error.code === 'internal_error') {
      this.log.error({ reqId: request.id, err: exception, code: error.code }, 'request failed');
    } else if (status >= 500) {
      // An expected failure (upstream down, limits store unreachable): no stack, it says nothing new.
      this.log.warn(
        {
          reqId: request.id,
          code: error.code,
          provider: error.provider,
          upstreamRequestId: error.upstreamRequestId,
          upstreamStatus: error.upstreamStatus,
        },
        'request failed',
      );
    } else {
      this.log.debug({ reqId: request.id, code: error.code }, 'request rejected');
    }
    if (reply.sent || reply.raw.headersSent) {
      // The response already started (a stream): the stream's own terminal event reports the error.
      if (!reply.raw.writableEnded) reply.raw.end();
      return;
    }
    void reply.status(status).headers(headers).send(body);
  }
}
